"""Accounts: users, server-side sessions, single-use links, API tokens."""
