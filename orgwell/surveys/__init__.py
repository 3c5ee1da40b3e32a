"""Surveys: validated burnout instruments as data, their scoring, and the campaigns that send them.

`instruments/` holds instrument definitions (built-in files, organisations' uploads and custom
pulses) and their pages and CLI; `scoring.py` turns answers into scale scores and bands and
knows nothing about Flask or the database. Campaigns, waves, invitations and responses live
beside them in this package.
"""
