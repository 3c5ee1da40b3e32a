"""Campaign forms: they check input only; rules needing the database are in surveys/campaigns.py.

Choices that depend on the organisation (instruments, teams) are constructor arguments. Once a
campaign is locked, its fixed fields (instrument, mode, k) are removed from the edit form, so a
crafted POST cannot even name them.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from orgwell.orgs.forms import choices
from orgwell.surveys.campaigns import MAX_GAP_DAYS, MAX_K, MAX_REMINDERS, CampaignSettings
from orgwell.surveys.models import DEFAULT_K, MIN_K
from orgwell.surveys.schedule import SCHEDULE_LABELS

MODE_CHOICES = choices([
    ("anonymous", "Anonymous: answers are kept with the team only, never with a name. "
                  "People see their result once, right after answering."),
    ("confidential", "Confidential: answers are linked to the person so that they can follow "
                     "their own results over time. Nobody else sees them."),
])
AUDIENCE_CHOICES = choices([
    ("organisation", "Everyone in the organisation"),
    ("teams", "Chosen clinics and teams"),
])


def _clean(value):
    return " ".join(value.split()) if isinstance(value, str) else value


class CampaignForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired(), Length(max=120)], filters=[_clean],
        description="What staff see in the invitation, e.g. “Monthly check-in”.",
    )
    instrument_key = SelectField("Questionnaire", validators=[DataRequired()])
    wording = SelectField(
        "Call the people you treat",
        description="Used in the questions about working with clients, where the "
                    "questionnaire has them.",
    )
    audience = RadioField("Send to", choices=AUDIENCE_CHOICES, default="organisation")
    team_ids = SelectMultipleField(
        "Clinics and teams", coerce=int,
        description="A clinic includes its teams. Hold Ctrl (⌘ on a Mac) to choose several.",
    )
    mode = RadioField("How answers are kept", choices=MODE_CHOICES, default="anonymous")
    threshold_k = IntegerField(
        "Smallest group leaders may see", default=DEFAULT_K,
        validators=[InputRequired("Enter a number."), NumberRange(MIN_K, MAX_K)],
        description=f"Results of a team with fewer answers than this are never shown "
                    f"(at least {MIN_K}; {DEFAULT_K} is usual).",
    )
    schedule = SelectField("How often", choices=choices(SCHEDULE_LABELS.items()),
                           default="monthly")
    start_date = DateField(
        "First wave on", validators=[InputRequired("Enter a date.")],
        description="Waves open early that day (UTC) and then on the same day of each period.",
    )
    open_days = IntegerField(
        "Days each wave stays open", default=7,
        validators=[InputRequired("Enter a number."), NumberRange(1, 90)],
    )
    reminder_max = IntegerField(
        "Reminders to people who have not answered (at most)", default=2,
        validators=[InputRequired("Enter a number."), NumberRange(0, MAX_REMINDERS)],
    )
    reminder_gap_days = IntegerField(
        "Days between reminders (at least)", default=3,
        validators=[InputRequired("Enter a number."), NumberRange(1, MAX_GAP_DAYS)],
    )
    submit = SubmitField("Save the campaign")

    def __init__(
        self,
        *args,
        instruments: list[tuple[str, str]] = (),
        wordings: list[str] = (),
        teams: list[tuple[int, str]] = (),
        teams_only: bool = False,
        locked: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.instrument_key.choices = choices(instruments)
        self.wording.choices = choices(
            [("", "clients (as the questionnaire is written)")] + [(w, w) for w in wordings]
        )
        self.team_ids.choices = choices(teams)
        if teams_only:
            self.audience.choices = [AUDIENCE_CHOICES[1]]
            if not self.is_submitted():
                self.audience.data = "teams"
        if locked:
            for name in ("instrument_key", "mode", "threshold_k"):
                delattr(self, name)

    def validate_team_ids(self, field) -> None:
        if self.audience.data == "teams" and not field.data:
            raise ValidationError("Choose at least one clinic or team.")

    def settings(self, fixed: CampaignSettings | None = None) -> CampaignSettings:
        """The cleaned data; the fields a locked form lacks come from `fixed`."""

        def value(name):
            field = getattr(self, name, None)
            return field.data if field is not None else getattr(fixed, name)

        return CampaignSettings(
            name=self.name.data,
            instrument_key=value("instrument_key"),
            wording=self.wording.data or None,
            audience=self.audience.data,
            team_ids=list(self.team_ids.data or []) if self.audience.data == "teams" else [],
            mode=value("mode"),
            schedule=self.schedule.data,
            start_date=self.start_date.data,
            open_days=self.open_days.data,
            reminder_max=self.reminder_max.data,
            reminder_gap_days=self.reminder_gap_days.data,
            threshold_k=value("threshold_k"),
        )


class ConfirmForm(FlaskForm):
    """A confirmation button that POSTs: only the CSRF token."""

    submit = SubmitField("Send the wave now")
