"""Forms for acting on results: the plan with an optional program, editing it, its status.

Forms validate input only; `orgwell.metrics.actions` re-checks the rules that matter (dates,
lengths, which programs may be chosen, the team scope) for every caller.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from orgwell.metrics.action_models import ACTION_STATUS_LABELS, ACTION_STATUSES
from orgwell.metrics.actions import NO_PROGRAM
from orgwell.orgs.forms import choices
from orgwell.programs.models import today


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class PlanForm(FlaskForm):
    """What, who, by when (and notes): the part of an action that can be edited later."""

    title = StringField(
        "What will the team do?", validators=[DataRequired(), Length(max=200)],
        filters=[_strip],
        description="One short sentence, e.g. “Protect a 15-minute lunch break for everyone”.",
    )
    owner_text = StringField(
        "Who takes it on?", validators=[DataRequired(), Length(max=200)], filters=[_strip],
        description="A name or a role, e.g. “Clinic lead with the front desk”.",
    )
    due_on = DateField("By when?", validators=[InputRequired()])
    notes = TextAreaField(
        "Notes (optional)", validators=[Optional(), Length(max=5000)], filters=[_strip],
        render_kw={"rows": 3},
        description="What the team said, what to check at the next survey. "
        "Never write anything about one person's answers here.",
    )
    submit = SubmitField("Save")


class NewActionForm(PlanForm):
    """A plan, plus (optionally) the team's enrollment in a program, in one step."""

    program = SelectField("Enroll the team in a program", validate_choice=False)
    start_on = DateField("Program start date", validators=[Optional()])
    submit = SubmitField("Save the action")

    def __init__(self, *args, programs=(), accepted=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.program.choices = choices(
            [(NO_PROGRAM, "No program: just the plan"), *programs]
        )
        # Values a submitted form may carry beyond those listed (a template copied meanwhile).
        self.accepted = set(accepted or ()) | {value for value, _ in programs} | {NO_PROGRAM}

    def validate_program(self, field) -> None:
        if field.data not in self.accepted:
            raise ValidationError("Not a valid choice.")

    def validate_due_on(self, field) -> None:
        if field.data and field.data < today():
            raise ValidationError("Choose today or a later date.")

    def validate_start_on(self, field) -> None:
        if field.data and abs((field.data - today()).days) > 365:
            raise ValidationError("Choose a start date within a year of today.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Not a validate_start_on rule: Optional() ends the field's checks when it is empty.
        chosen = self.program.data and self.program.data != NO_PROGRAM
        if chosen and self.start_on.data is None and not self.start_on.errors:
            self.start_on.errors = [*self.start_on.errors, "Choose when the program starts."]
            valid = False
        return valid


class StatusForm(FlaskForm):
    """The status buttons: each submits its own value of `status`."""

    status = SelectField(
        "Status", choices=choices((s, ACTION_STATUS_LABELS[s]) for s in ACTION_STATUSES),
        validate_choice=True,
    )
