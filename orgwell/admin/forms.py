"""Site admin forms. They validate input only."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from orgwell.auth.services import find_user
from orgwell.home.forms import strip


class _PersonForm(FlaskForm):
    name = StringField("Name", filters=[strip], validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        "Email", filters=[strip], validators=[DataRequired(), Email(), Length(max=254)]
    )

    def validate_email(self, field) -> None:
        if find_user(field.data) is not None:
            raise ValidationError("An account with this email address already exists.")


class InviteOwnerForm(_PersonForm):
    submit = SubmitField("Send the invitation")


class InviteConsultantForm(_PersonForm):
    firm = StringField(
        "Consulting firm",
        filters=[strip],
        validators=[DataRequired(), Length(max=120)],
        description="Shown on the reports the consultant prepares for clients.",
    )
    organisations = SelectMultipleField(
        "Client organisations",
        coerce=int,
        validators=[Optional()],
        description="The consultant sees these practices' group results; change it any time.",
    )
    submit = SubmitField("Send the invitation")

    def __init__(self, *args, organisation_choices: list[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations.choices = list(organisation_choices)


class GrantForm(FlaskForm):
    organisation = SelectField("Organisation", coerce=int, validators=[DataRequired()])
    submit = SubmitField("Grant access")

    def __init__(self, *args, organisation_choices: list[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation.choices = list(organisation_choices)
