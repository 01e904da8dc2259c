import click


@click.command()
def demo() -> None:
    """Seed a synthetic demo portfolio."""


def seed_demo_if_empty() -> None:
    pass
