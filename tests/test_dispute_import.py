"""`hub import disputes`: running disputes of a taken-over portfolio, with their original opening dates."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.audit.models import AuditEvent
from hub.cases.models import Case
from hub.cases.priority import client_today
from hub.cli import main
from hub.clients.models import Client
from hub.clients.services import add_client
from hub.debtors.models import Debtor
from hub.disputes.models import Dispute, DisputeInvoice, DisputeStatus
from hub.disputes.queue import list_dispute_queue
from hub.errors import ValidationError
from hub.imports.mapping import load_mapping
from hub.imports.reader import read_table
from hub.imports.report import ImportSummary
from hub.imports.services import import_table
from hub.invoices.models import Invoice
from tests.factories import add_dispute

FIXTURES = Path(__file__).parent / "fixtures" / "disputes"
MAPPING = Path(__file__).parent.parent / "examples" / "mappings" / "disputes-takeover.toml"
WRITE_PREFIXES = ("INSERT", "UPDATE", "DELETE")
# Case rows are left out: the case refresh after every import stores a new scoring time.
WATCHED_TABLES = ("dispute", "dispute_invoice", "invoice", "audit_event")
# Lines of takeover.csv (the header is line 1; G-101's note spans lines 4 and 5).
REJECTED_LINES = {7: "F-404", 8: "XX", 9: "F-6", 10: "F-3", 11: "F-7", 13: "F-2", 14: "F-6"}


async def run_import(
    session: AsyncSession,
    name: str,
    mapping: Path | None = MAPPING,
    as_of: date | None = None,
    batch_size: int = 500,
    kind: str = "disputes",
) -> ImportSummary:
    loaded = load_mapping(mapping)
    table = read_table(FIXTURES / name if not Path(name).is_absolute() else Path(name), loaded)
    summary = await import_table(session, kind, "acme", table, loaded, as_of, batch_size)
    await session.commit()
    return summary


@pytest.fixture
async def client(session: AsyncSession) -> Client:
    created = await add_client(session, "acme", "Acme NL", "EUR", "Europe/Amsterdam")
    await session.commit()
    await run_import(session, "invoices.csv", mapping=None, kind="invoices")
    return created


async def disputes_by_reference(session: AsyncSession) -> dict[str, Dispute]:
    query = select(Dispute).where(Dispute.reference.is_not(None)).execution_options(populate_existing=True)
    return {dispute.reference: dispute for dispute in await session.scalars(query) if dispute.reference}


async def invoice_numbers(session: AsyncSession, dispute_id: int) -> list[str]:
    query = (
        select(Invoice.number)
        .join(DisputeInvoice, DisputeInvoice.invoice_id == Invoice.id)
        .where(DisputeInvoice.dispute_id == dispute_id)
        .order_by(Invoice.number)
    )
    return list((await session.scalars(query)).all())


async def case_of(session: AsyncSession, reference: str) -> Case:
    case = await session.scalar(
        select(Case)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .where(Debtor.reference == reference)
        .execution_options(populate_existing=True)
    )
    assert case is not None, reference
    return case


@contextmanager
def recorded_writes(session: AsyncSession) -> Iterator[list[str]]:
    """Collect the INSERT, UPDATE and DELETE statements sent to the dispute, invoice and audit tables."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        words = statement.split()
        lowered = statement.lower()
        if words and words[0].upper() in WRITE_PREFIXES and any(f" {table}" in lowered for table in WATCHED_TABLES):
            statements.append(statement)

    engine = session.bind.sync_engine  # type: ignore[union-attr]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_import_counts_rows(session: AsyncSession, client: Client) -> None:
    summary = await run_import(session, "takeover.csv")

    assert summary.read == 12
    assert summary.inserted == 5
    assert summary.updated == 0
    assert sorted(row.line for row in summary.rejected) == sorted(REJECTED_LINES)


async def test_import_counts_disputes(session: AsyncSession, client: Client) -> None:
    summary = await run_import(session, "takeover.csv")

    # G-100 (F-1 and F-2), G-101, G-102 and G-107 are stored from five accepted rows.
    stored = await disputes_by_reference(session)
    assert set(stored) == {"G-100", "G-101", "G-102", "G-107"}
    assert summary.disputes_created == len(stored)
    assert summary.disputes_updated == 0
    assert summary.as_dict()["disputes_created"] == len(stored)
    assert summary.as_dict()["disputes_updated"] == 0
    assert "inserted 5" in summary.as_text()
    assert "disputes created 4, disputes updated 0" in summary.as_text()


async def test_import_again_counts_no_disputes(session: AsyncSession, client: Client) -> None:
    await run_import(session, "takeover.csv")

    summary = await run_import(session, "takeover.csv")

    assert summary.disputes_created == 0
    assert summary.disputes_updated == 0


async def test_import_rejects_impossible_date(session: AsyncSession, client: Client, tmp_path: Path) -> None:
    text = (
        (FIXTURES / "takeover.csv")
        .read_text(encoding="utf-8-sig")
        .replace("G-107;F-5;K-1;12-11-2024", "G-107;F-5;K-1;31-11-2024")
    )
    path = tmp_path / "impossible-date.csv"
    path.write_text(text, encoding="utf-8")

    summary = await run_import(session, str(path))

    reasons = {row.line: row.reason for row in summary.rejected}
    assert reasons[12].startswith("column 'Geopend': invalid date '31-11-2024': November 2024 has 30 days")
    assert "%" not in reasons[12]
    assert "G-107" not in await disputes_by_reference(session)


async def test_import_rejection_reasons(session: AsyncSession, client: Client) -> None:
    summary = await run_import(session, "takeover.csv")

    reasons = {row.line: row.reason for row in summary.rejected}
    existing = await disputes_by_reference(session)
    assert reasons[7].startswith("invoice 'F-404' not found for client acme")
    assert reasons[8].startswith("column 'Reden': unknown reason 'XX'")
    assert "[values.reason]" in reasons[8]
    assert reasons[9].startswith("invoice 'F-6' belongs to debtor 'K-2', but dispute 'G-100' covers invoices of")
    assert reasons[10] == (
        f"invoice 'F-3' is already in open dispute {existing['G-101'].id}: "
        "resolve that dispute in the hub first, or leave the row out"
    )
    assert reasons[11].startswith("invoice 'F-7' has nothing open")
    assert reasons[13] == "duplicate invoice 'F-2' in dispute 'G-100': first on line 3"
    assert reasons[14] == "invoice 'F-6' belongs to debtor 'K-2', not to 'K-1' as this row says"


async def test_import_groups_reference(session: AsyncSession, client: Client) -> None:
    await run_import(session, "takeover.csv")

    disputes = await disputes_by_reference(session)
    grouped = disputes["G-100"]
    assert sorted(disputes) == ["G-100", "G-101", "G-102", "G-107"]
    assert await invoice_numbers(session, grouped.id) == ["F-1", "F-2"]
    assert grouped.reason_code == "not_received"
    assert grouped.status == DisputeStatus.OPEN
    assert grouped.note == "Levering nooit ontvangen"
    assert grouped.owner_id is None
    assert grouped.interaction_id is None


async def test_import_keeps_opening_dates(session: AsyncSession, client: Client) -> None:
    await run_import(session, "takeover.csv")

    disputes = await disputes_by_reference(session)
    assert disputes["G-100"].opened_at == datetime(2024, 11, 4, tzinfo=UTC)
    # Monday 4 November 2024 plus 10 working days.
    assert disputes["G-100"].sla_due_on == date(2024, 11, 18)
    assert disputes["G-101"].opened_at == datetime(2024, 11, 20, tzinfo=UTC)
    assert disputes["G-101"].sla_due_on == date(2024, 12, 4)


async def test_import_reads_mapped_codes(session: AsyncSession, client: Client) -> None:
    await run_import(session, "takeover.csv")

    disputes = await disputes_by_reference(session)
    assert disputes["G-101"].reason_code == "wrong_amount"
    assert disputes["G-101"].status == DisputeStatus.UNDER_REVIEW
    assert disputes["G-101"].note == "Prijs wijkt af\nvan de offerte"
    assert disputes["G-102"].reason_code == "quality"
    assert disputes["G-107"].reason_code == "already_paid"


async def test_import_stores_resolved(session: AsyncSession, client: Client) -> None:
    await run_import(session, "takeover.csv", as_of=date(2024, 12, 31))

    resolved = (await disputes_by_reference(session))["G-102"]
    assert resolved.status == DisputeStatus.RESOLVED_CREDITOR
    assert resolved.resolved_at == datetime(2024, 12, 31, tzinfo=UTC)
    assert resolved.credited_minor == 0


async def test_import_arrives_breached(session: AsyncSession, client: Client) -> None:
    await run_import(session, "takeover.csv")

    entries = await list_dispute_queue(session, Scope.for_client(client.id))
    states = {entry.reference: entry.sla_state for entry in entries}
    assert states == {"G-100": "breached", "G-101": "breached", "G-107": "breached"}


async def test_import_pauses_disputed_invoices(session: AsyncSession, client: Client) -> None:
    await run_import(session, "takeover.csv")

    # K-1's F-1, F-2 and F-5 are all disputed now; K-2 keeps F-4 (resolved for the creditor) and F-6.
    assert (await case_of(session, "K-1")).open_minor == 0
    assert (await case_of(session, "K-2")).open_minor == 80_000 + 15_000


async def test_import_again_writes_nothing(session: AsyncSession, client: Client) -> None:
    await run_import(session, "takeover.csv")

    with recorded_writes(session) as statements:
        summary = await run_import(session, "takeover.csv")

    assert statements == []
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 0, 5)
    assert len(summary.rejected) == len(REJECTED_LINES)
    assert "nothing changed" in summary.as_text()


async def test_import_in_small_batches(session: AsyncSession, client: Client) -> None:
    summary = await run_import(session, "takeover.csv", batch_size=1)

    reasons = {row.line: row.reason for row in summary.rejected}
    assert summary.inserted == 5
    assert "already in open dispute" in reasons[10]


async def test_import_audited_once(session: AsyncSession, client: Client) -> None:
    await run_import(session, "takeover.csv")
    await run_import(session, "takeover.csv")

    events = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "dispute.imported"))).all()
    assert len(events) == 1
    assert events[0].target_id == client.id
    assert events[0].detail == {"inserted": 5, "updated": 0, "rejected": len(REJECTED_LINES)}


async def test_import_status_change_updates(session: AsyncSession, client: Client, tmp_path: Path) -> None:
    await run_import(session, "takeover.csv")
    changed = (FIXTURES / "takeover.csv").read_text(encoding="utf-8-sig").replace("NR;Nieuw", "NR;In behandeling", 1)
    later = tmp_path / "takeover-later.csv"
    later.write_text(changed, encoding="utf-8")

    summary = await run_import(session, str(later))

    assert (await disputes_by_reference(session))["G-100"].status == DisputeStatus.UNDER_REVIEW
    # G-100's first row now reads "under review" and its second row "open", so the second is rejected.
    assert summary.updated == 1
    assert summary.disputes_updated == 1
    assert summary.disputes_created == 0
    assert "differs from line 2" in {row.line: row.reason for row in summary.rejected}[3]


async def test_import_keeps_resolved_in_hub(session: AsyncSession, client: Client) -> None:
    await run_import(session, "takeover.csv")
    dispute = (await disputes_by_reference(session))["G-107"]
    dispute.status = DisputeStatus.RESOLVED_DEBTOR
    await session.commit()

    summary = await run_import(session, "takeover.csv")

    assert (await disputes_by_reference(session))["G-107"].status == DisputeStatus.RESOLVED_DEBTOR
    warnings = [row.reason for row in summary.warnings]
    assert warnings == [
        f"warning: dispute {dispute.id} is resolved_debtor in the hub and a resolved dispute is final, "
        "so the file's status open is ignored"
    ]


async def test_import_rejects_agent_disputed(session: AsyncSession, client: Client) -> None:
    f1 = await session.scalar(select(Invoice).where(Invoice.number == "F-1"))
    assert f1 is not None
    agent_dispute = await add_dispute(session, [f1], reason_code="quality")
    await session.commit()

    summary = await run_import(session, "takeover.csv")

    reasons = {row.line: row.reason for row in summary.rejected}
    assert reasons[2].startswith(f"invoice 'F-1' is already in open dispute {agent_dispute.id}")
    assert await invoice_numbers(session, (await disputes_by_reference(session))["G-100"].id) == ["F-2"]


async def test_plain_header_keys_invoice_and_date(session: AsyncSession, client: Client) -> None:
    summary = await run_import(session, "plain.csv", mapping=None)

    disputes = (await session.scalars(select(Dispute).order_by(Dispute.opened_at))).all()
    reasons = {row.line: row.reason for row in summary.rejected}
    assert summary.inserted == 2
    assert [d.reason_code for d in disputes] == ["not_received", "wrong_amount"]
    assert [d.status for d in disputes] == [DisputeStatus.OPEN, DisputeStatus.UNDER_REVIEW]
    assert all(d.reference is None for d in disputes)
    assert reasons[4].startswith(f"invoice 'F-1' is already in open dispute {disputes[0].id}")


async def test_plain_header_again_unchanged(session: AsyncSession, client: Client) -> None:
    await run_import(session, "plain.csv", mapping=None)

    with recorded_writes(session) as statements:
        summary = await run_import(session, "plain.csv", mapping=None)

    assert statements == []
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 0, 2)


async def test_recent_dispute_within_sla(session: AsyncSession, client: Client, tmp_path: Path) -> None:
    today = client_today(client)
    path = tmp_path / "recent.csv"
    path.write_text(f"invoice_number,opened_date\nF-6,{today.isoformat()}\n", encoding="utf-8")

    await run_import(session, str(path), mapping=None)

    entries = await list_dispute_queue(session, Scope.for_client(client.id))
    assert [(entry.invoice_numbers, entry.sla_state, entry.reason) for entry in entries] == [
        (("F-6",), "within", "other")
    ]


async def test_future_opening_rejected(session: AsyncSession, client: Client, tmp_path: Path) -> None:
    path = tmp_path / "future.csv"
    path.write_text("invoice_number,opened_date\nF-6,2199-01-01\n", encoding="utf-8")

    summary = await run_import(session, str(path), mapping=None)

    assert summary.rejected[0].reason.startswith("opening date 2199-01-01 is after today")


async def test_after_as_of_counted(session: AsyncSession, client: Client) -> None:
    summary = await run_import(session, "takeover.csv", as_of=date(2024, 11, 10))

    # G-101, G-105 and G-107 were opened after 10 November.
    references = set(await disputes_by_reference(session))
    assert summary.after_as_of == 3
    assert references == {"G-100", "G-102"}
    assert "opened after the as-of date 3" in summary.as_text()


def _write_mapping(tmp_path: Path, values: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text('[columns]\ninvoice_number = "Factuur"\nopened_date = "Geopend"\n\n' + values, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ('[values.reason]\nlost = ["L"]\n', "unknown reason 'lost' in [values.reason]: use one of not_received"),
        ('[values.reason]\nquality = ["Q"]\nother = ["q"]\n', "value 'q' in [values.reason] is listed under both"),
        ("[values.status]\nopen = 3\n", "values.status.open must be a non-empty string or a list of them"),
        ("[values.mood]\nhappy = []\n", "unknown field in [values] 'mood'"),
    ],
)
def test_mapping_code_errors(tmp_path: Path, values: str, expected: str) -> None:
    with pytest.raises(ValidationError) as raised:
        load_mapping(_write_mapping(tmp_path, values))

    assert expected in str(raised.value)


def test_example_mapping_codes() -> None:
    mapping = load_mapping(MAPPING)

    assert mapping.code_values("reason")["niet ontvangen"] == "not_received"
    assert mapping.code_values("status")["in behandeling"] == "under_review"


def test_cli_import_reports_rejections(client: Client, hub_env: dict[str, str], tmp_path: Path) -> None:
    report = tmp_path / "rejected.csv"
    args = ["import", "disputes", str(FIXTURES / "takeover.csv"), "--client", "acme", "--mapping", str(MAPPING)]

    result = CliRunner().invoke(main, [*args, "--json", "--report", str(report)])

    summary = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert summary["kind"] == "disputes"
    assert summary["inserted"] == 5
    assert summary["disputes_created"] == 4
    assert summary["disputes_updated"] == 0
    assert summary["rejected"] == len(REJECTED_LINES)
    with report.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["line", "reason", "Geschil"]
    assert sorted(int(row[0]) for row in rows[1:]) == sorted(REJECTED_LINES)


def test_cli_import_unknown_client(client: Client, hub_env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["import", "disputes", str(FIXTURES / "plain.csv"), "--client", "nobody"])

    assert result.exit_code == 1
    assert "unknown client 'nobody'" in result.stderr
