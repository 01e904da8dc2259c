import click


@click.group("import")
def import_group() -> None:
    """Import debtors, invoices, payments or disputes from a CSV export."""
