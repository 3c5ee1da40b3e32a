"""Fault tests: workers, SMTP, Redis and PostgreSQL failing under load (issue 6)."""
