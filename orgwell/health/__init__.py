"""Health: /healthz and the worker heartbeat it reads."""
