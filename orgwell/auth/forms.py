"""Account forms: they validate input only."""
from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from orgwell.auth.passwords import password_problem


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Log in")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField("Send me a reset link")


class NewPasswordForm(FlaskForm):
    """Choose a password: used by invitations, resets and the change-password page."""

    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(max=200)],
        description="At least 10 characters; a passphrase of a few words works well.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )
    submit = SubmitField("Save password")

    def __init__(self, *args, email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email

    def validate_password(self, field) -> None:
        problem = password_problem(
            field.data or "",
            min_length=current_app.config["PASSWORD_MIN_LENGTH"],
            email=self._email,
        )
        if problem:
            raise ValidationError(problem)


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])


class CreateAdminForm(NewPasswordForm):
    """The first run: the site administrator's account."""

    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField("Create the administrator account")
