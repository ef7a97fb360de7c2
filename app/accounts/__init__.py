"""Accounts: staff, administrators and Member contact points, their passwords, login
sessions and API tokens."""
