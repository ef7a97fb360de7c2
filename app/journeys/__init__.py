"""The respondents' journeys: invitations and personal links, rounds scheduled from the
plan (an activity's evaluation and follow-up waves, the plan year's needs assessment),
the journey settings, message texts and mail backends, the dispatch that invites,
reminds and escalates, and what a Member's contact point follows of its people.
"""
