"""``hub import``: load debtors or invoices from a CSV export through a column mapping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cli_support import echo_json, reports_hub_errors, run_in_session
from hub.imports.batches import BATCH_SIZE_ROWS
from hub.imports.mapping import load_mapping
from hub.imports.reader import read_table
from hub.imports.report import ImportSummary, default_report_path, write_rejected_report
from hub.imports.services import import_table


@click.group("import")
def import_group() -> None:
    """Import debtors, invoices, payments or disputes from a CSV export."""


def import_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the arguments and options every ``hub import`` subcommand takes."""
    options = [
        click.argument("file", type=click.Path(path_type=Path, dir_okay=False)),
        click.option("--client", "client_slug", required=True, help="Slug of the client the rows belong to."),
        click.option(
            "--mapping",
            "mapping_path",
            type=click.Path(path_type=Path, dir_okay=False),
            help="TOML column mapping (see examples/mappings/). Without it the header must use the field names.",
        ),
        click.option(
            "--as-of",
            type=click.DateTime(formats=["%Y-%m-%d"]),
            help="Import the portfolio as it stood on this day (YYYY-MM-DD) and store it as the client's as-of date.",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON."),
        click.option(
            "--report",
            "report_path",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Where to write the rejected rows [default: var/imports/<file>-<time>.rejected.csv].",
        ),
        click.option(
            "--batch-size",
            default=BATCH_SIZE_ROWS,
            show_default=True,
            type=click.IntRange(min=1),
            help="Rows committed per transaction.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def run_import(kind: str, file: Path, client_slug: str, mapping_path: Path | None, **options: Any) -> None:
    mapping = load_mapping(mapping_path)
    table = read_table(file, mapping)
    as_of: date | None = options["as_of"].date() if options["as_of"] else None

    async def work(session: AsyncSession) -> ImportSummary:
        return await import_table(session, kind, client_slug, table, mapping, as_of, options["batch_size"])

    summary = run_in_session(work)
    write_rejected_report(summary, table.header, options["report_path"] or default_report_path(file))
    _print_summary(summary, options["as_json"])


def _print_summary(summary: ImportSummary, as_json: bool) -> None:
    if as_json:
        echo_json(summary.as_dict())
        return
    click.echo(summary.as_text())
    if summary.report is not None:
        click.echo(f"rejected rows and warnings, with line numbers and reasons: {summary.report}")


@import_group.command("invoices")
@import_options
@reports_hub_errors
def import_invoices(**options: Any) -> None:
    """Upsert invoices with their debtors, settlement payments and disputes from FILE."""
    run_import("invoices", **options)


@import_group.command("debtors")
@import_options
@reports_hub_errors
def import_debtors(**options: Any) -> None:
    """Upsert debtors (reference, name, email, phone, language, timezone, country) from FILE."""
    run_import("debtors", **options)


@import_group.command("payments")
@import_options
@reports_hub_errors
def import_payments(**options: Any) -> None:
    """Upsert payments from FILE on their reference and allocate them to the invoices they pay."""
    run_import("payments", **options)


@import_group.command("disputes")
@import_options
@reports_hub_errors
def import_disputes(**options: Any) -> None:
    """Upsert running disputes from FILE with their original opening dates (see examples/mappings/disputes-*.toml)."""
    run_import("disputes", **options)
