"""Organisation forms: they validate input only; rules that need the database live in services.

Forms whose choices depend on the organisation take them as constructor arguments.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from orgwell.orgs.models import JOB_TITLES, ROLES
from orgwell.orgs.services import SLUG_MAX, SLUG_PATTERN
from orgwell.orgs.staff import STATUS_FILTERS


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms wants them."""
    return [SelectChoice(value, label) for value, label in pairs]


ROLE_CHOICES = choices((role, role.capitalize()) for role in reversed(ROLES))  # staff first
JOB_CHOICES = choices([("", "—")] + [(title, title) for title in JOB_TITLES])


def optional_int(value) -> int | None:
    """Coerce a select's value: "" means none. Anything else that is not an int is invalid."""
    if value in (None, "", "None"):
        return None
    return int(value)


def _clean(value):
    return " ".join(value.split()) if isinstance(value, str) else value


class OrganisationForm(FlaskForm):
    name = StringField(
        "Practice name", validators=[DataRequired(), Length(max=120)], filters=[_clean]
    )
    slug = StringField(
        "Web address",
        validators=[Optional(), Length(min=2, max=SLUG_MAX)],
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
        render_kw={"data-suggest-from": "name"},
        description="Lower-case letters, digits and hyphens; it appears in your pages' "
        "addresses (/o/your-practice). Leave empty to derive it from the name.",
    )
    submit = SubmitField("Create the organisation")

    def validate_slug(self, field) -> None:
        if field.data and not SLUG_PATTERN.fullmatch(field.data):
            raise ValidationError("Use lower-case letters, digits and single hyphens.")


class TeamForm(FlaskForm):
    """Create or change a clinic or team; no parent makes it a clinic."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)], filters=[_clean])
    parent_id = SelectField(
        "Inside clinic", coerce=optional_int, validate_choice=True,
        description="Leave at “none” for a clinic (a location).",
    )
    submit = SubmitField("Save")

    def __init__(self, *args, clinics: list[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_id.choices = choices([("", "— none: this is a clinic —"), *clinics])


class PersonFields(FlaskForm):
    """What adding and editing a person share."""

    team_ids = SelectMultipleField(
        "Teams", coerce=int, description="Hold Ctrl (⌘ on a Mac) to choose several."
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default="staff")
    job_title = SelectField("Job title", choices=JOB_CHOICES, default="")
    patient_facing = BooleanField("Works with patients", default=True)

    def __init__(self, *args, teams: list[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.team_ids.choices = choices(teams)


class AddPersonForm(PersonFields):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)], filters=[_clean])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)],
                       filters=[lambda v: v.strip() if isinstance(v, str) else v])
    start_date = DateField("Start date", validators=[Optional()])
    submit = SubmitField("Add and invite")


class EditPersonForm(PersonFields):
    on_leave = BooleanField("On leave", description="People on leave get no surveys.")
    submit = SubmitField("Save changes")


class LeaverForm(FlaskForm):
    left_on = DateField("Last day", validators=[DataRequired(message="Enter their last day.")])
    submit = SubmitField("Mark as leaver")


class ActionForm(FlaskForm):
    """A button that POSTs: only the CSRF token."""

    submit = SubmitField("Go")


class StaffFilterForm(FlaskForm):
    """The staff page's filters, read from the query string."""

    class Meta:
        csrf = False

    team = SelectField("Team", coerce=optional_int, default="")
    status = SelectField("Status", choices=choices(STATUS_FILTERS.items()), default="current")

    def __init__(self, *args, teams: list[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.team.choices = choices([("", "All teams"), *teams])


class ImportUploadForm(FlaskForm):
    file = FileField(
        "Staff list (CSV)",
        validators=[FileRequired("Choose a CSV file."),
                    FileAllowed(["csv", "txt"], "Upload a .csv file.")],
        description="Columns: name, email, team, role, job_title, patient_facing, start_date.",
    )
    submit = SubmitField("Check the file")
