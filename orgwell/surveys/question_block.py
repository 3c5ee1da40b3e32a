"""The questions of the survey form, rendered once per instrument, wording and audience.

Every unanswered form of a wave is the same block of questions and options (about 60 radio
buttons for the CBI): only the page around it (name, closing time, CSRF token, link) differs.
Rendering it was the largest part of opening a survey link, so the unanswered block is kept
per process. A form shown again with answers and errors is rendered afresh.
"""
from __future__ import annotations

from threading import Lock

from flask import render_template
from markupsafe import Markup

from orgwell.surveys.instruments.definition import Instrument
from orgwell.surveys.responding import FIELD_PREFIX, Answers, option_field_value
from orgwell.surveys.survey import Survey

TEMPLATE = "surveys/respond/_questions.html"
_MAX = 256
# (id of the parsed instrument, wording, patient-facing) -> (that instrument, the block). The
# instrument is kept beside the block and compared by identity: a new parse of a version (a
# changed definition, see instruments/models.py) is a new object, so its id cannot match an
# old entry by accident while the old object is held here.
_BLOCKS: dict[tuple[int, str | None, bool], tuple[Instrument, Markup]] = {}
_lock = Lock()


def questions(survey: Survey, answers: Answers | None) -> Markup:
    """The form's questions, with `answers` (chosen options and errors) if it is shown again."""
    if answers is not None:
        return _render(survey, answers)
    key = (id(survey.instrument), survey.wording, survey.patient_facing)
    hit = _BLOCKS.get(key)
    if hit is not None and hit[0] is survey.instrument:
        return hit[1]
    block = _render(survey, None)
    with _lock:
        if len(_BLOCKS) >= _MAX:
            _BLOCKS.clear()
        _BLOCKS[key] = (survey.instrument, block)
    return block


def _render(survey: Survey, answers: Answers | None) -> Markup:
    return Markup(render_template(
        TEMPLATE, survey=survey, answers=answers, field_prefix=FIELD_PREFIX,
        option_value=option_field_value,
    ))
