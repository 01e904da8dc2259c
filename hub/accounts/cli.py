import click


@click.group()
def user() -> None:
    """User accounts."""
