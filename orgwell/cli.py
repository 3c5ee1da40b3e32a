"""The `orgwell` command: Flask's CLI (run, db, shell) bound to the app, plus our groups."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def register_commands(app: Flask) -> None:
    from orgwell.auth.cli import tokens_cli, users_cli
    from orgwell.demo import demo_command
    from orgwell.metrics.cli import metrics_cli
    from orgwell.orgs.cli import orgs_cli, staff_cli
    from orgwell.runner import run_all_command
    from orgwell.surveys.cli import surveys_cli
    from orgwell.surveys.instruments.cli import instruments_cli

    for command in (users_cli, tokens_cli, orgs_cli, staff_cli, demo_command, run_all_command):
        app.cli.add_command(command)
    app.cli.add_command(instruments_cli)
    app.cli.add_command(surveys_cli)
    app.cli.add_command(metrics_cli)


def _create_app():
    from orgwell import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """OrgWell command line: `orgwell db upgrade`, `orgwell run`, `orgwell demo`, ..."""
