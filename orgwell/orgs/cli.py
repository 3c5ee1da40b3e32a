"""orgs/staff CLI (placeholder)."""
import click

orgs_cli = click.Group("orgs", help="Organisations.")
staff_cli = click.Group("staff", help="Staff.")
