"""Tests of orgwell/health: /healthz and the worker heartbeat."""
