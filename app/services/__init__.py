"""The domain: functions that take a SQLAlchemy session, flush, and never commit."""
