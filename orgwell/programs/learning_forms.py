"""Forms of a staff member's own learning pages: they validate input only."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange

from orgwell.programs.learning import PRACTICE_MINUTES, REFLECTION_MAX


class ReflectionForm(FlaskForm):
    text = TextAreaField(
        "Your reflection",
        validators=[Length(max=REFLECTION_MAX)],
        render_kw={"rows": 8},
    )
    submit = SubmitField("Save my reflection")


class PracticeForm(FlaskForm):
    day = DateField("Day", validators=[InputRequired(message="Pick the day you practised.")])
    minutes = IntegerField(
        "Minutes",
        validators=[
            InputRequired(message="Enter how many minutes you practised."),
            NumberRange(*PRACTICE_MINUTES, message="Enter between %(min)s and %(max)s minutes."),
        ],
        render_kw={"min": PRACTICE_MINUTES[0], "max": PRACTICE_MINUTES[1], "inputmode": "numeric"},
    )
    note = StringField("Note (optional)", validators=[Length(max=300)])
    submit = SubmitField("Log this day")


class CompleteForm(FlaskForm):
    """A button: its only input is the CSRF token."""

    submit = SubmitField("Mark as complete")


class JoinForm(FlaskForm):
    """Join a program open for self-enrollment; the choices are exactly those programs."""

    program_id = SelectField("Program", coerce=int, validate_choice=True)
    submit = SubmitField("Join")

    def __init__(self, *args, programs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.program_id.choices = [SelectChoice(p.id, p.name) for p in programs]
