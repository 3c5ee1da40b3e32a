"""Forms of the results pages: asking for a PNG or PDF export (the filters are GET parameters,
parsed by orgwell/metrics/filters.py, so that a view stays shareable as a link)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from orgwell.metrics.export_models import EXPORT_FORMATS

FORMAT_LABELS = {"png": "Images (PNG)", "pdf": "PDF files"}


class ExportForm(FlaskForm):
    """Render this view's figures as files; `query` carries the page's filters."""

    format = SelectField(
        "File type", choices=[SelectChoice(f, FORMAT_LABELS[f]) for f in EXPORT_FORMATS],
        validators=[DataRequired()],
    )
    query = HiddenField(validators=[Length(max=500)])
    submit = SubmitField("Make the files")
