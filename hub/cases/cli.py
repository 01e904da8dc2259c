"""``hub queue``: print a work queue in priority order."""

from __future__ import annotations

import sys
from dataclasses import asdict

import click
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.queue import QueueEntry, list_call_queue
from hub.cli_support import cli_scope, echo_json, echo_table, reports_hub_errors, run_in_session
from hub.disputes.cli import echo_dispute_queue

QUEUE_KINDS = ("call", "email", "dispute")
# Exit status for a queue kind that the CLI accepts but that has no cases to list yet.
EXIT_QUEUE_UNAVAILABLE = 2
# The maximum --limit. It keeps the value far inside the 64-bit range of the database's LIMIT.
MAX_LIMIT_CASES = 10_000
JSON_KEYS = (
    "case_id",
    "debtor_reference",
    "risk_score",
    "priority",
    "open_minor",
    "currency",
    "days_past_due",
    "segment",
)
TABLE_COLUMNS = (
    ("case_id", "case", 8),
    ("debtor_reference", "debtor", 20),
    ("risk_score", "risk", 5),
    ("priority", "priority", 9),
    ("open_minor", "open_minor", 14),
    ("currency", "cur", 4),
    ("days_past_due", "dpd", 5),
    ("segment", "segment", 8),
)


def _entry_row(entry: QueueEntry) -> dict[str, object]:
    values = asdict(entry)
    row = {key: values[key] for key in JSON_KEYS}
    row["priority"] = round(entry.priority, 2)
    return row


@click.command()
@click.argument("kind", type=click.Choice(QUEUE_KINDS))
@click.option("--client", "client_slug", default=None, help="Slug of the client whose queue to print; default: all.")
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=MAX_LIMIT_CASES),
    default=None,
    help=f"Maximum number of cases to print (1-{MAX_LIMIT_CASES}).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@reports_hub_errors
def queue(kind: str, client_slug: str | None, limit: int | None, as_json: bool) -> None:
    """Print the KIND work queue (call, email or dispute) in priority order.

    The dispute queue is ordered by resolve-by day instead and adds each dispute's id, reason,
    status, age in working days, resolve-by day and SLA state. The email queue does not exist
    yet and exits with status 2.
    """
    if kind == "dispute":
        echo_dispute_queue(client_slug, limit, as_json)
        return
    if kind != "call":
        click.echo(
            f"the {kind} queue does not exist yet: `hub queue call` and `hub queue dispute` list cases", err=True
        )
        sys.exit(EXIT_QUEUE_UNAVAILABLE)

    async def work(session: AsyncSession) -> list[QueueEntry]:
        return await list_call_queue(session, await cli_scope(session, client_slug), limit=limit)

    rows = [_entry_row(entry) for entry in run_in_session(work)]
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, TABLE_COLUMNS, "case")
