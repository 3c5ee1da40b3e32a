"""Instrument forms: uploading a definition file and building a custom pulse. Input checks only;
whether a definition is usable is decided by `definition.parse_definition` in the service."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DecimalField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from orgwell.surveys.instruments.library import PULSE_ANSWER_SETS, PULSE_MAX_ITEMS


def _finite(form, field) -> None:
    """Decimal accepts "NaN" and "Infinity", which NumberRange cannot compare."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation("Give a number from 0 to 100.")


def _clean(value):
    return " ".join(value.split()) if isinstance(value, str) else value


class UploadDefinitionForm(FlaskForm):
    file = FileField(
        "Definition file",
        validators=[FileRequired("Choose a definition file."),
                    FileAllowed(["json", "yaml", "yml"], "Upload a .json, .yaml or .yml file.")],
        description="JSON or YAML, at most 200 kB.",
    )
    submit = SubmitField("Check and save")


class PulseForm(FlaskForm):
    name = StringField(
        "Name of the pulse", validators=[DataRequired(), Length(max=80)], filters=[_clean],
        description="Staff see it above the questions, e.g. “Monthly energy check”.",
    )
    statements = TextAreaField(
        "Statements or questions",
        validators=[DataRequired("Write at least one statement.")],
        render_kw={"rows": 7},
        description=f"One per line, 1 to {PULSE_MAX_ITEMS}. Everyone answers each with the "
        "answers chosen below.",
    )
    answer_set = SelectField(
        "Answers",
        choices=[SelectChoice(key, label) for key, (label, _) in PULSE_ANSWER_SETS.items()],
        validate_choice=True,
    )
    direction = SelectField(
        "A high score means",
        choices=[SelectChoice("higher_is_worse", "more strain (like burnout scores)"),
                 SelectChoice("higher_is_better", "better well-being")],
        validate_choice=True,
        description="The first answer scores 100, the last 0; the score is the mean.",
    )
    scale_name = StringField(
        "Name of the score", validators=[Optional(), Length(max=80)], filters=[_clean],
        description="Shown with results, e.g. “Energy”. Empty: the pulse's name.",
    )
    cutoff = DecimalField(
        "Reference line (optional)", places=None,
        validators=[Optional(), _finite,
                    NumberRange(min=0, max=100, message="Give a number from 0 to 100.")],
        description="Scores at or above it are marked “high”. Leave empty for none.",
    )
    submit = SubmitField("Save the pulse")

    def validate_statements(self, field) -> None:
        lines = [line.strip() for line in (field.data or "").splitlines() if line.strip()]
        if not 1 <= len(lines) <= PULSE_MAX_ITEMS:
            raise ValidationError(
                f"Write 1 to {PULSE_MAX_ITEMS} statements, one per line (you wrote {len(lines)})."
            )
        too_long = [i for i, line in enumerate(lines, start=1) if len(line) > 300]
        if too_long:
            raise ValidationError(
                f"Keep each statement under 300 characters (line {too_long[0]} is longer)."
            )
        seen = set()
        for number, line in enumerate(lines, start=1):
            folded = " ".join(line.split()).casefold()
            if folded in seen:
                raise ValidationError(f"Statement {number} repeats an earlier one.")
            seen.add(folded)

    @property
    def statement_lines(self) -> list[str]:
        return [line.strip() for line in (self.statements.data or "").splitlines() if line.strip()]
