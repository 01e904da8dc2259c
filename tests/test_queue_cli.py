"""``hub queue``: JSON and table output of the call queue, and the queues that do not exist yet."""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.cases.priority import refresh_priorities
from hub.cases.queue import list_call_queue
from hub.cli import main
from hub.clients.models import Client
from hub.db import create_engine, create_session_factory
from tests.queue_factories import add_case, add_client

JSON_KEYS = {
    "case_id",
    "debtor_reference",
    "risk_score",
    "priority",
    "open_minor",
    "currency",
    "days_past_due",
    "segment",
}


async def _seed(session: AsyncSession) -> None:
    acme = await add_client(session, "acme")
    other = await add_client(session, "other", currency="USD")
    for risk, amount in ((20, 5_000), (90, 80_000), (55, 1_000), (70, 400_000)):
        await add_case(session, acme, f"ACME-{risk}", risk_score=risk, open_minor=amount)
        await add_case(session, other, f"OTHER-{risk}", risk_score=risk, open_minor=amount)
    await refresh_priorities(session, acme)
    await refresh_priorities(session, other)
    await session.commit()


async def _service_order(database_url: str, slug: str | None) -> list[int]:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            clients = {client.slug: client.id for client in (await session.scalars(select(Client))).all()}
            ids = frozenset({clients[slug]}) if slug else frozenset(clients.values())
            return [entry.case_id for entry in await list_call_queue(session, Scope(client_ids=ids))]
    finally:
        await engine.dispose()


@pytest.fixture
async def seeded(session: AsyncSession, hub_env: dict[str, str]) -> dict[str, str]:
    await _seed(session)
    return hub_env


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["queue", *args])
    return result.exit_code, result.stdout, result.stderr


def test_queue_json_matches_service_order(seeded: dict[str, str]) -> None:
    code, output, _ = _run("call", "--client", "acme", "--json")

    rows = json.loads(output)
    assert code == 0
    assert [row["case_id"] for row in rows] == asyncio.run(_service_order(seeded["HUB_DATABASE_URL"], "acme"))


def test_queue_json_covers_all_clients(seeded: dict[str, str]) -> None:
    code, output, _ = _run("call", "--json")

    rows = json.loads(output)
    assert code == 0
    assert [row["case_id"] for row in rows] == asyncio.run(_service_order(seeded["HUB_DATABASE_URL"], None))


def test_queue_json_has_documented_keys(seeded: dict[str, str]) -> None:
    _, output, _ = _run("call", "--client", "other", "--json")

    rows = json.loads(output)
    assert len(rows) == 4
    assert all(set(row) == JSON_KEYS for row in rows)
    assert {row["currency"] for row in rows} == {"USD"}


def test_queue_json_priority_descends(seeded: dict[str, str]) -> None:
    _, output, _ = _run("call", "--client", "acme", "--json")

    priorities = [row["priority"] for row in json.loads(output)]
    assert priorities == sorted(priorities, reverse=True)


def test_queue_limit_cuts_list(seeded: dict[str, str]) -> None:
    _, output, _ = _run("call", "--client", "acme", "--limit", "2", "--json")

    assert len(json.loads(output)) == 2


def test_queue_table_lists_references(seeded: dict[str, str]) -> None:
    code, output, _ = _run("call", "--client", "acme")

    lines = output.splitlines()
    assert code == 0
    assert lines[0].split() == ["case", "debtor", "risk", "priority", "open_minor", "cur", "dpd", "segment"]
    assert [line.split()[1] for line in lines[1:-1]] == ["ACME-90", "ACME-70", "ACME-55", "ACME-20"]
    assert lines[-1] == "4 case(s)"


def test_queue_unknown_client_exits_one(hub_env: dict[str, str]) -> None:
    code, _, error = _run("call", "--client", "nobody")

    assert code == 1
    assert "unknown client 'nobody'" in error


@pytest.mark.parametrize("kind", ["email"])
def test_queue_missing_kind_exits_two(hub_env: dict[str, str], kind: str) -> None:
    code, _, error = _run(kind)

    assert code == 2
    assert f"the {kind} queue does not exist yet" in error


def test_queue_rejects_zero_limit(hub_env: dict[str, str]) -> None:
    code, _, error = _run("call", "--limit", "0")

    assert code == 2
    assert "--limit" in error
