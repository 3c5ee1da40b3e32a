"""Privacy forms: they validate input only (the slug check needs the organisation, given)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError


class DownloadForm(FlaskForm):
    """A button that starts a download (a POST, so a link elsewhere cannot start it)."""

    submit = SubmitField("Download")


class DeleteOrganisationForm(FlaskForm):
    confirm = StringField(
        "Type the web address of the organisation to confirm",
        validators=[InputRequired(message="Type the web address to confirm."), Length(max=80)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    submit = SubmitField("Delete the organisation and all its data")

    def __init__(self, *args, slug: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.slug = slug
        self.confirm.description = f"Type “{slug}” (without the quotes)."

    def validate_confirm(self, field) -> None:
        if (field.data or "").strip().lower() != self.slug:
            raise ValidationError(
                f"That is not “{self.slug}”. Nothing was deleted."
            )


class EraseForm(FlaskForm):
    understood = BooleanField(
        "I understand that this cannot be undone.",
        validators=[DataRequired(message="Tick the box to confirm.")],
    )
    submit = SubmitField("Erase this person's data")
