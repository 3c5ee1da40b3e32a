"""`orgwell instruments ...`: list, show, validate and score instruments from a shell.

For scoring paper or spreadsheet surveys and for scripting. Built-in instruments need no
database; `--org SLUG` reaches an organisation's own instruments. Bad input exits with status 2
and every problem on stderr (line and column for CSV cells), and then nothing on stdout, so a
script never mistakes half an answer for a whole one.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from orgwell.extensions import db
from orgwell.surveys.instruments.answer_sheet import SheetError, score_sheet
from orgwell.surveys.instruments.definition import DefinitionError, Instrument, plain_number
from orgwell.surveys.instruments.files import (
    BUILTIN_KEYS,
    builtin,
    builtin_instruments,
    load_definition_text,
)

instruments_cli = click.Group("instruments", help="Survey instruments (CBI and your own).")
_org_option = click.option(
    "--org", "slug", default=None, metavar="SLUG",
    help="Also an organisation's own instruments (uploaded or built on the pages).",
)


@instruments_cli.command("list")
@_org_option
@with_appcontext
def list_instruments(slug):
    """Print each instrument's key and name (tab-separated), built-ins first."""
    for instrument in builtin_instruments():
        click.echo(f"{instrument.key}\t{instrument.name}")
    if slug:
        from orgwell.surveys.instruments.library import available_instruments

        for available in available_instruments(_organisation(slug)):
            if not available.is_builtin:
                click.echo(f"{available.latest.key}\t{available.latest.name}")


@instruments_cli.command("show")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="The definition as JSON.")
@click.option("--version", "version", type=click.IntRange(min=1), default=None,
              help="A stored version of an organisation's instrument (default: the latest).")
@_org_option
@with_appcontext
def show(key, as_json, version, slug):
    """Print instrument KEY: its scales, items and answer options."""
    instrument = _instrument(key, slug, version)
    if as_json:
        click.echo(json.dumps(instrument.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(_describe(instrument))


@instruments_cli.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(file: Path):
    """Check a definition FILE (JSON or YAML) and list every problem."""
    try:
        instrument = load_definition_text(_read_text(file), file.name)
    except DefinitionError as error:
        _fail([f"{file.name}: {problem}" for problem in error.problems])
    click.echo(
        f"{file.name}: OK, “{instrument.name}” ({instrument.key}): {len(instrument.items)} "
        f"items in {len(instrument.scales)} scale(s)."
    )


@instruments_cli.command("score")
@click.argument("key")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_org_option
@with_appcontext
def score(key, file: Path, slug):
    """Score the answers in FILE (CSV: respondent, then item keys) with instrument KEY.

    Each answer cell is an answer label (any case) or empty. Prints a CSV: respondent, then
    per scale <scale> (the score rounded half-up to 2 decimals; empty when too few items
    were answered) and <scale>_band (high, below or empty), decided on the unrounded score.
    An optional patient_facing column (yes/no) marks people for whom a patient-facing scale
    does not apply (band: not_applicable).
    """
    instrument = _instrument(key, slug, None)
    try:
        output = score_sheet(instrument, _read_text(file))
    except SheetError as error:
        _fail([f"{file.name}: {problem}" for problem in error.problems])
    click.echo(output, nl=False)


def _instrument(key: str, slug: str | None, version: int | None) -> Instrument:
    if slug is None:
        if key not in BUILTIN_KEYS:
            known = ", ".join(BUILTIN_KEYS)
            raise click.BadParameter(
                f"no built-in instrument has the key “{key}” (built-in: {known}); "
                "for an organisation's own instrument add --org SLUG.", param_hint="KEY")
        if version is not None and version != builtin(key).version:
            raise click.BadParameter("--version needs --org for stored versions.")
        return builtin(key)
    from orgwell.surveys.instruments.library import UnknownInstrument, get_version

    try:
        return get_version(_organisation(slug), key, version)[1]
    except UnknownInstrument:
        what = f"version {version} of “{key}”" if version else f"an instrument “{key}”"
        raise click.BadParameter(f"{slug} has no {what}.", param_hint="KEY") from None


def _organisation(slug: str):
    from orgwell.orgs.models import Organisation

    org = db.session.scalar(select(Organisation).filter_by(slug=slug))
    if org is None:
        raise click.BadParameter(f"no organisation has the slug “{slug}”.", param_hint="--org")
    return org


def _read_text(file: Path) -> str:
    data = file.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        _fail([f"{file.name}: not UTF-8 text (byte {error.start + 1}); save it as UTF-8."])


def _fail(messages: list[str]):
    for message in messages:
        click.echo(message, err=True)
    sys.exit(2)


def _describe(instrument: Instrument) -> str:
    """A person-readable summary: scales with their rules, items with their answers."""
    lines = [f"{instrument.name} ({instrument.key}, version {instrument.version})",
             f"Citation: {instrument.citation}", f"Licence: {instrument.licence}", ""]
    for scale in instrument.scales:
        cutoff = "none" if scale.cutoff is None else plain_number(scale.cutoff)
        items = instrument.items_in(scale.key)
        lines.append(
            f"{scale.key}: {scale.name} — {len(items)} items, at least {scale.min_answered} "
            f"answered, cut-off {cutoff}"
            + (", patient-facing staff only" if scale.patient_facing_only else "")
        )
        for item in items:
            options = ", ".join(
                f"{o.label} = {plain_number(o.value)}" for o in instrument.options_for(item)
            )
            mark = " [reversed]" if item.reversed else ""
            lines.append(f"  {item.key}{mark}: {item.text}")
            lines.append(f"      {options}")
    return "\n".join(lines)
