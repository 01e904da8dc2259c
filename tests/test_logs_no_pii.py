"""No log record carries a debtor's name, email, phone, amount or note.

The main flows run with every logger at DEBUG. They are import and scoring
through the CLI, then sign-in, queue, workspace, outcome, export, erasure
and the admin pages over real HTTP against uvicorn, then the retention job.
SQLAlchemy's engine logger runs at INFO, which logs each statement with
its parameters unless the engine hides them. Its DEBUG level also logs
result rows, which contain personal data by design, so it stays off.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.cases.models import Case
from hub.cli import main
from hub.cli_support import run_in_session
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.invoices.models import Payment
from hub.privacy.models import RetentionPolicy
from tests.factories import web_app

CLIENT_SLUG = "piiprobe"
PASSWORD = "probe-password-123"
AGENT_EMAIL = "probe.agent@hub.test"
ADMIN_EMAIL = "probe.admin@hub.test"
SERVER_START_TIMEOUT_SECONDS = 15
NOTE = "Talked to Zebediah Quarrington on his private line about the Vanterpool invoice"

DEBTORS_CSV = """reference,name,email,phone,country
PII-1,Zebediah Quarrington,zebediah@quarrington-probe.example,+31 6 1357 9246,NL
PII-2,Philippa Vanterpool,p.vanterpool@probe-mail.example,+44 20 7946 0321,GB
PII-3,Ottoline Brackwater,not-an-email,12,NL
"""
INVOICES_CSV = """debtor_reference,invoice_number,issue_date,due_date,amount,settled_date
PII-1,PI-100,2026-08-01,2026-09-01,"73,519.87",
PII-1,PI-101,2026-06-01,2026-07-01,"4,826,193.41",
PII-2,PI-200,2016-01-01,2016-02-01,"58,204.66",2016-03-01
PII-3,PI-300,2026-10-01,2026-10-31,"61,937.25",
"""
# Every form a seeded value could take in a message: as typed, normalised and in minor units.
PERSONAL_VALUES = [
    "Zebediah", "Quarrington", "Philippa", "Vanterpool", "Ottoline", "Brackwater",
    "zebediah@quarrington-probe.example", "p.vanterpool@probe-mail.example", "not-an-email",
    "+31613579246", "613579246", "1357 9246", "+442079460321", "2079460321", "7946 0321",
    "73,519.87", "73519.87", "7351987", "4,826,193.41", "4826193.41", "482619341",
    "58,204.66", "58204.66", "5820466", "61,937.25", "61937.25", "6193725",
    "private line", AGENT_EMAIL, ADMIN_EMAIL, PASSWORD,
]  # fmt: skip
WATCHED_LOGGERS = (
    "hub",
    "workers",
    "litestar",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "httpx",
    "httpcore",
    "arq",
)


def hub(*arguments: str) -> str:
    result = CliRunner().invoke(main, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def capture_all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture every logger at DEBUG, including those that do not propagate to the root logger."""
    caplog.set_level(logging.DEBUG)
    for name in WATCHED_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    attached = []
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and not logger.propagate:
            logger.addHandler(caplog.handler)
            attached.append(logger)
    yield caplog
    for logger in attached:
        logger.removeHandler(caplog.handler)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def live_url(database_url: str, engine: AsyncEngine) -> Iterator[str]:
    port = free_port()
    # log_config=None keeps uvicorn from installing handlers that do not propagate.
    config = uvicorn.Config(
        web_app(database_url), host="127.0.0.1", port=port, log_config=None, log_level="debug", access_log=True
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def import_portfolio(tmp_path: Path) -> None:
    (tmp_path / "debtors.csv").write_text(DEBTORS_CSV)
    (tmp_path / "invoices.csv").write_text(INVOICES_CSV)
    hub("client", "add", CLIENT_SLUG, "--name", "Probe Client")
    report = str(tmp_path / "rejected.csv")
    hub("import", "debtors", str(tmp_path / "debtors.csv"), "--client", CLIENT_SLUG, "--report", report)
    invoices = str(tmp_path / "invoices.csv")
    hub("import", "invoices", invoices, "--client", CLIENT_SLUG, "--as-of", "2026-11-30", "--report", report)
    hub("score", "--client", CLIENT_SLUG)
    hub("queue", "call", "--client", CLIENT_SLUG, "--json")
    hub("user", "add", AGENT_EMAIL, "--role", "agent", "--client", CLIENT_SLUG, "--password", PASSWORD)
    hub("user", "add", ADMIN_EMAIL, "--role", "admin", "--password", PASSWORD)


def seed_retention(database_url: str) -> dict[str, int]:
    """Add an old payment for the settled debtor, enable the policy and return the debtor and case ids."""

    async def work(session: AsyncSession) -> dict[str, int]:
        client = await session.scalar(select(Client).where(Client.slug == CLIENT_SLUG))
        debtors = dict((await session.execute(select(Debtor.reference, Debtor.id))).all())
        cases = dict((await session.execute(select(Case.debtor_id, Case.id))).all())
        payment = Payment(
            client_id=client.id, debtor_id=debtors["PII-2"], reference="PAY-PII-2", currency="EUR",
            amount_minor=5_820_466, paid_on=date(2016, 3, 1),
        )  # fmt: skip
        session.add(payment)
        session.add(RetentionPolicy(client_id=client.id, enabled=True, settled_case_years=7, unmatched_inbound_days=90))
        return {"debtor": debtors["PII-1"], "case": cases[debtors["PII-1"]], "client": client.id}

    return run_in_session(work, database_url)


def sign_in(http: httpx.Client, email: str, password: str = PASSWORD) -> None:
    http.cookies.clear()
    http.get("/login")
    data = {"email": email, "password": password, "next": "/queues/call"}
    http.post("/login", data=data, headers=csrf(http))


def csrf(http: httpx.Client) -> dict[str, str]:
    return {"x-csrftoken": http.cookies.get("csrftoken", "")}


def agent_flow(http: httpx.Client, ids: dict[str, int]) -> None:
    sign_in(http, AGENT_EMAIL, "wrong-password")
    sign_in(http, AGENT_EMAIL)
    assert http.get("/queues/call").status_code == 200
    http.post("/queues/call/next", data={}, headers=csrf(http))
    assert http.get(f"/cases/{ids['case']}").status_code == 200
    outcome = {"outcome": "right_party_contact", "note": NOTE, "next_action_on": ""}
    assert http.post(f"/cases/{ids['case']}/outcomes", data=outcome, headers=csrf(http)).status_code == 303


def admin_flow(http: httpx.Client, ids: dict[str, int]) -> None:
    sign_in(http, ADMIN_EMAIL)
    debtor_url = f"/debtors/{ids['debtor']}"
    assert http.get(f"{debtor_url}/export.json").status_code == 200
    assert http.get(f"{debtor_url}/export").status_code == 200
    assert http.get("/audit").status_code == 200
    assert http.get(f"{debtor_url}/erase").status_code == 200
    assert (
        http.post(f"{debtor_url}/erase", data={"confirm_reference": "Zebediah"}, headers=csrf(http)).status_code == 422
    )
    assert http.post(f"{debtor_url}/erase", data={"confirm_reference": "PII-1"}, headers=csrf(http)).status_code == 303
    assert http.get("/admin/retention").status_code == 200
    form = {"enabled": "on", "settled_case_years": "7", "unmatched_inbound_days": "90"}
    assert http.post(f"/admin/retention/{ids['client']}", data=form, headers=csrf(http)).status_code == 303


def leaked_values(caplog: pytest.LogCaptureFixture) -> dict[str, list[str]]:
    """Map each personal value found in a captured record to the records that contain it."""
    texts = [f"{record.name}: {record.getMessage()}" for record in caplog.records]
    texts += [record.exc_text for record in caplog.records if record.exc_text]
    texts.append(caplog.text)
    found: dict[str, list[str]] = {}
    for value in PERSONAL_VALUES:
        pattern = re.compile(re.escape(value), re.IGNORECASE)
        hits = [text[:200] for text in texts if pattern.search(text)]
        if hits:
            found[value] = hits
    return found


def test_main_flows_log_no_personal_data(
    hub_env: dict[str, str], live_url: str, tmp_path: Path, capture_all_logs: pytest.LogCaptureFixture
) -> None:
    import_portfolio(tmp_path)
    ids = seed_retention(hub_env["HUB_DATABASE_URL"])
    with httpx.Client(base_url=live_url, follow_redirects=False) as http:
        agent_flow(http, ids)
        admin_flow(http, ids)
    hub("retention", "apply")

    assert len(capture_all_logs.records) > 50
    assert any(record.name == "uvicorn.access" for record in capture_all_logs.records)
    assert any(record.name == "hub.privacy.jobs" for record in capture_all_logs.records)
    assert leaked_values(capture_all_logs) == {}


async def test_database_error_hides_parameters(session: AsyncSession) -> None:
    client = Client(slug="dup", name="Duplicate Client", currency="EUR", timezone="UTC")
    session.add(client)
    await session.flush()
    session.add(Debtor(client_id=client.id, reference="DUP-1", name="Zebediah Quarrington"))
    await session.flush()
    session.add(Debtor(client_id=client.id, reference="DUP-1", name="Philippa Vanterpool"))

    with pytest.raises(IntegrityError) as error:
        await session.flush()

    assert "Vanterpool" not in str(error.value)
    assert "DUP-1" not in str(error.value)
