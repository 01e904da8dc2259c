"""``hub queue dispute``: print the dispute queue, the nearest resolve-by day first."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from hub.cli_support import cli_scope, echo_json, echo_table, run_in_session
from hub.disputes.queue import DisputeQueueEntry, list_dispute_queue

# The keys of `hub queue call --json` come first; open_minor is the open amount of the disputed invoices.
JSON_KEYS = (
    "case_id",
    "debtor_reference",
    "risk_score",
    "priority",
    "open_minor",
    "currency",
    "dispute_id",
    "reason",
    "status",
    "opened_on",
    "age_working_days",
    "sla_due_on",
    "sla_state",
    "owner",
    "invoices",
)
TABLE_COLUMNS = (
    ("dispute_id", "dispute", 8),
    ("case_id", "case", 6),
    ("debtor_reference", "debtor", 16),
    ("risk_score", "risk", 5),
    ("priority", "priority", 9),
    ("open_minor", "open_minor", 12),
    ("currency", "cur", 4),
    ("reason", "reason", 13),
    ("status", "status", 13),
    ("age_working_days", "age_wd", 7),
    ("sla_due_on", "sla_due", 11),
    ("sla_state", "sla", 9),
)


def entry_row(entry: DisputeQueueEntry) -> dict[str, object]:
    """Return the JSON row of one dispute; dates are ISO 8601 days."""
    return {
        "case_id": entry.case_id,
        "debtor_reference": entry.debtor_reference,
        "risk_score": entry.risk_score,
        "priority": round(entry.priority, 2),
        "open_minor": entry.amount_minor,
        "currency": entry.currency,
        "dispute_id": entry.dispute_id,
        "reason": entry.reason,
        "status": entry.status,
        "opened_on": entry.opened_on.isoformat(),
        "age_working_days": entry.age_working_days,
        "sla_due_on": entry.sla_due_on.isoformat() if entry.sla_due_on else None,
        "sla_state": entry.sla_state,
        "owner": entry.owner_name,
        "invoices": list(entry.invoice_numbers),
    }


def echo_dispute_queue(client_slug: str | None, limit: int | None, as_json: bool) -> None:
    """Print the open and under-review disputes of one client or of all clients, as a table or JSON."""

    async def work(session: AsyncSession) -> list[DisputeQueueEntry]:
        return await list_dispute_queue(session, await cli_scope(session, client_slug), limit=limit)

    rows = [entry_row(entry) for entry in run_in_session(work)]
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, TABLE_COLUMNS, "dispute")
