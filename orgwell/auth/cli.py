"""users/tokens CLI (placeholder)."""
import click

users_cli = click.Group("users", help="Users.")
tokens_cli = click.Group("tokens", help="API tokens.")
