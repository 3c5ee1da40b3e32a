"""Home forms: public sign-up. They validate input only."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length


def strip(value: str | None) -> str | None:
    """Copy-pasted addresses often carry spaces at either end."""
    return value.strip() if isinstance(value, str) else value


class SignupForm(FlaskForm):
    name = StringField("Your name", filters=[strip], validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        "Work email",
        filters=[strip],
        validators=[DataRequired(), Email(), Length(max=254)],
        description="We send a link to this address to choose your password.",
    )
    submit = SubmitField("Create my account")
