"""Demo data (placeholder)."""
import click


@click.command("demo")
def demo_command():
    """Load the demo data."""
