"""run-all (placeholder)."""
import click


@click.command("run-all")
def run_all_command():
    """Start web, worker and beat."""
