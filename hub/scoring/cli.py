import click


@click.command()
def score() -> None:
    """Re-score open cases."""
