"""The record that a person was erased: which membership, when, and why (no personal data).

The sweep of leavers skips memberships that have a row here, and the person page shows that
the record is already anonymous. One row per membership: erasing twice is refused.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from orgwell.database import UTCDateTime, utcnow
from orgwell.extensions import db

ERASURE_REASONS = ("request", "automatic")


class Erasure(db.Model):
    __tablename__ = "privacy_erasures"
    __table_args__ = (
        CheckConstraint("reason in ('request', 'automatic')", name="reason_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), unique=True
    )
    reason: Mapped[str] = mapped_column(String(10))
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
