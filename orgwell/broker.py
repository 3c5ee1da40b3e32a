"""The embedded Celery broker: kombu's SQLAlchemy transport, polled 20 times a second.

kombu's virtual transports sleep `polling_interval` (1 s by default) whenever a poll finds
nothing to take, which with prefetch 1 capped a worker at about 2 tasks/s. The stock
transport cannot be given a shorter interval (it hands every transport option to
`create_engine`), so this subclass sets it, under its own URL scheme `orgwellsqla+`.
"""
from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as kombu_sqla

SCHEME = "orgwellsqla"


class Transport(kombu_sqla.Transport):
    polling_interval = 0.05


def register() -> None:
    """Make `orgwellsqla+sqlite:///...` broker URLs resolve to this transport."""
    TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")


def embedded_broker_url(instance_path: str) -> str:
    return f"{SCHEME}+sqlite:///{instance_path}/broker.sqlite"
