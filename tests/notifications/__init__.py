"""Tests of orgwell/notifications: the outbox, its backends, the dev mailbox."""
