"""Leader forms for programs: details, modules, publishing, enrolling, excusing, settings.

Forms validate input only; the builder and enrollment services re-check the rules that
matter (http(s) links, offsets) so that no other caller can skip them.
"""
from __future__ import annotations

import re
from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from orgwell.orgs.forms import choices
from orgwell.programs.content import is_http_url
from orgwell.programs.models import MODULE_KIND_LABELS, MODULE_KINDS, today

MAX_OFFSET_DAYS = 365


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ActionForm(FlaskForm):
    """A bare POST button (copy, move, remove): CSRF only."""


class ProgramForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)], filters=[_strip])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)],
                                filters=[_strip], render_kw={"rows": 3})
    audience = StringField("Who it is for", validators=[Optional(), Length(max=200)],
                           filters=[_strip])
    self_enroll = BooleanField("Staff may join this program on their own")
    reminder_days = StringField(
        "Reminders before the due date (days)", default="3, 0", filters=[_strip],
        description="Comma-separated, e.g. “3, 0” = three days before and on the day. "
        "Leave empty for none.",
    )
    overdue_reminder_max = IntegerField(
        "Reminders once overdue (at most)", default=2,
        validators=[InputRequired(), NumberRange(min=0, max=10)],
    )
    overdue_reminder_gap_days = IntegerField(
        "Days between overdue reminders (at least)", default=7,
        validators=[InputRequired(), NumberRange(min=1, max=60)],
    )
    submit = SubmitField("Save")

    def validate_reminder_days(self, field) -> None:
        self.parsed_days = []
        parts = [p.strip() for p in (field.data or "").split(",") if p.strip()]
        for part in parts:
            if not re.fullmatch(r"[0-9]{1,2}", part) or int(part) > 60:
                raise ValidationError("Use whole numbers of days from 0 to 60, e.g. “3, 0”.")
            self.parsed_days.append(int(part))
        if len(self.parsed_days) > 5:
            raise ValidationError("Use at most five reminder days.")
        self.parsed_days = sorted(set(self.parsed_days), reverse=True)

    def values(self) -> dict:
        return {
            "name": self.name.data, "description": self.description.data or "",
            "audience": self.audience.data or "", "self_enroll": self.self_enroll.data,
            "reminder_days_before": self.parsed_days,
            "overdue_reminder_max": self.overdue_reminder_max.data,
            "overdue_reminder_gap_days": self.overdue_reminder_gap_days.data,
        }


def _finite(form, field) -> None:
    """DecimalField accepts "NaN", "sNaN" and "Infinity"; no hours are counted in those."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation("Not a valid number.")


def _url_check(form, field) -> None:
    if field.data and not is_http_url(field.data):
        raise ValidationError("Use a web address starting with http:// or https://.")


class ModuleForm(FlaskForm):
    kind = SelectField("Kind", choices=choices((k, MODULE_KIND_LABELS[k]) for k in MODULE_KINDS))
    title = StringField("Title", validators=[DataRequired(), Length(max=200)], filters=[_strip])
    summary = TextAreaField("Short summary", validators=[Optional(), Length(max=1000)],
                            filters=[_strip], render_kw={"rows": 2})
    body_markdown = TextAreaField(
        "Text (Markdown)", validators=[Optional(), Length(max=20000)], render_kw={"rows": 10},
        description="Headings with ##, lists with -, **bold**. Scripts and HTML event "
        "attributes are removed.",
    )
    provider = StringField("Provider", validators=[Optional(), Length(max=120)],
                           filters=[_strip])
    course_number = StringField("Course number", validators=[Optional(), Length(max=40)],
                                filters=[_strip])
    url = StringField("Course web address", validators=[Optional(), Length(max=500),
                                                        _url_check], filters=[_strip])
    ce_hours = DecimalField("CE hours", places=2, validators=[
        Optional(), _finite, NumberRange(min=0, max=100, message="CE hours go from 0 to 100.")])
    level = StringField("Level", validators=[Optional(), Length(max=40)], filters=[_strip])
    presenter = StringField("Presenter", validators=[Optional(), Length(max=200)],
                            filters=[_strip])
    video_url = StringField("Video web address", validators=[Optional(), Length(max=500),
                                                            _url_check], filters=[_strip])
    prompt = TextAreaField("Reflection prompt", validators=[Optional(), Length(max=2000)],
                           filters=[_strip], render_kw={"rows": 3},
                           description="The question people answer privately.")
    practice_days_per_week = IntegerField(
        "Target days per week", validators=[Optional(), NumberRange(min=1, max=7)])
    practice_minutes = IntegerField(
        "Minutes per day", validators=[Optional(), NumberRange(min=1, max=120)])
    release_offset_days = IntegerField(
        "Released on day", default=0,
        validators=[InputRequired(), NumberRange(min=0, max=MAX_OFFSET_DAYS)],
        description="Days after the person's start (0 = on the first day).",
    )
    due_offset_days = IntegerField(
        "Due on day", default=7,
        validators=[InputRequired(), NumberRange(min=0, max=MAX_OFFSET_DAYS)],
        description="Days after the person's start; not before the release day.",
    )
    required = BooleanField("Required to complete the program", default=True)
    estimated_minutes = IntegerField(
        "Estimated minutes", default=15,
        validators=[InputRequired(), NumberRange(min=1, max=600)],
    )
    submit = SubmitField("Save module")

    def validate_due_offset_days(self, field) -> None:
        release = self.release_offset_days.data
        if field.data is not None and release is not None and field.data < release:
            raise ValidationError("The due day cannot come before the release day.")

    def validate_url(self, field) -> None:
        if self.kind.data == "course" and not field.data:
            raise ValidationError("Give the course's web address.")

    def validate_video_url(self, field) -> None:
        if self.kind.data == "video" and not field.data:
            raise ValidationError("Give the video's web address.")

    def validate_practice_days_per_week(self, field) -> None:
        if self.kind.data == "practice" and not field.data:
            raise ValidationError("Give a target of 1 to 7 days a week.")

    def validate_prompt(self, field) -> None:
        if self.kind.data == "reflection" and not field.data:
            raise ValidationError("Give the reflection question.")

    def values(self) -> dict:
        kind = self.kind.data
        course, video = kind == "course", kind == "video"
        return {
            "kind": kind, "title": self.title.data, "summary": self.summary.data or "",
            "body_markdown": self.body_markdown.data or "",
            "provider": (self.provider.data or None) if course else None,
            "course_number": (self.course_number.data or None) if course else None,
            "url": (self.url.data or None) if course else None,
            "ce_hours": self.ce_hours.data if course else None,
            "level": (self.level.data or None) if course else None,
            "presenter": (self.presenter.data or None) if course else None,
            "video_url": (self.video_url.data or None) if video else None,
            "prompt": self.prompt.data or "",
            "practice_days_per_week":
                self.practice_days_per_week.data if kind == "practice" else None,
            "practice_minutes": self.practice_minutes.data if kind == "practice" else None,
            "release_offset_days": self.release_offset_days.data,
            "due_offset_days": self.due_offset_days.data,
            "required": self.required.data,
            "estimated_minutes": self.estimated_minutes.data,
        }


class PublishForm(FlaskForm):
    apply_to_open = BooleanField(
        "Also apply to people already enrolled (their open modules move to this version; "
        "completed work stays as it is)"
    )
    submit = SubmitField("Publish this version")


class EnrollForm(FlaskForm):
    team_ids = SelectMultipleField("Whole teams", coerce=int, validate_choice=True)
    membership_ids = SelectMultipleField("Individual people", coerce=int,
                                         validate_choice=True)
    start_on = DateField("Start date", validators=[InputRequired()])
    auto_enroll_joiners = BooleanField(
        "Also enroll people who join these teams later (from their join date)", default=True
    )
    submit = SubmitField("Enroll")

    def __init__(self, *args, teams=(), people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.team_ids.choices = choices(teams)
        self.membership_ids.choices = choices(people)

    def validate_start_on(self, field) -> None:
        if field.data and abs((field.data - today()).days) > MAX_OFFSET_DAYS:
            raise ValidationError("Choose a start date within a year of today.")

    def validate_team_ids(self, field) -> None:
        if not field.data and not self.membership_ids.data:
            raise ValidationError("Choose at least one team or person.")


class ExcuseForm(FlaskForm):
    assignment_id = SelectField("Module", coerce=int, validate_choice=True)
    reason = StringField("Reason", validators=[DataRequired(), Length(min=3, max=300)],
                         filters=[_strip],
                         description="For example: on parental leave, already took this "
                         "course last year.")
    submit = SubmitField("Excuse")

    def __init__(self, *args, open_modules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.assignment_id.choices = choices(open_modules)


class SettingsForm(FlaskForm):
    visibility = RadioField(
        "What leaders see of program progress",
        choices=choices([("people", "Completion per person (and team totals)"),
                         ("teams", "Team totals only, never individual people")]),
        validators=[InputRequired()],
    )
    submit = SubmitField("Save")


def default_start():
    """Next Monday (or today if it is Monday): cohorts usually start with a week."""
    day = today()
    return day + timedelta(days=(7 - day.weekday()) % 7)
