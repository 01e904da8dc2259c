import click


@click.command()
def queue() -> None:
    """Print a work queue in priority order."""
