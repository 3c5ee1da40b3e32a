"""The metrics domain's part: rollup tables, which hold counts and sums and never a person.

Deleting an organisation removes its rollups. Erasing a person changes nothing here: rollups
name no one, and the answers they were computed from stay as anonymous answers (see
surveys_part), so the aggregates are unchanged. The export carries no rollups: they are
derived from data the surveys and programs parts export, and unsuppressed small-group sums
must not leave through a side door.
"""
from __future__ import annotations

from orgwell.metrics.models import ParticipationRollup, ProgramWeekRollup, ScaleRollup
from orgwell.privacy.registry import register

MODELS = (ScaleRollup, ParticipationRollup, ProgramWeekRollup)

register(
    "metrics",
    order=25,
    tables=[model.__tablename__ for model in MODELS],
    notes=("Rollups hold counts and sums per wave and team, never a person; erasure keeps them.",),
)
