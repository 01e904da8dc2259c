"""``hub score``: summaries, backtest output, JSON shape and errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.services import refresh_case_balances
from hub.cli import main
from hub.db import create_engine, create_session_factory
from tests.scoring_factories import add_client_row, add_debtor, add_invoice, add_payment_history, load_ar_sample

AS_OF = date(2013, 9, 30)


def _seed(database_url: str, work: Callable[[AsyncSession], Awaitable[None]]) -> None:
    async def runner() -> None:
        engine = create_engine(database_url)
        async with create_session_factory(engine)() as session:
            await work(session)
            await session.commit()
        await engine.dispose()

    asyncio.run(runner())


async def _small_portfolio(session: AsyncSession) -> None:
    client = await add_client_row(session, "acme", as_of=date(2024, 12, 31))
    debtor = await add_debtor(session, client, "D1")
    await add_payment_history(session, debtor, date(2024, 1, 1), [True, False, False, True, False], "H")
    await add_invoice(session, debtor, "open", date(2024, 12, 1))
    await refresh_case_balances(session, client)


def _sample_portfolio(shared_dir: Path) -> Callable[[AsyncSession], Awaitable[None]]:
    async def work(session: AsyncSession) -> None:
        client = await add_client_row(session, "ibm", as_of=AS_OF)
        await load_ar_sample(session, shared_dir, client)
        await refresh_case_balances(session, client)

    return work


def test_score_unknown_client_fails(hub_env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["score", "--client", "nope"])

    assert result.exit_code == 1
    assert "unknown client 'nope'" in result.output


def test_score_says_default_weights(hub_env: dict[str, str]) -> None:
    _seed(hub_env["HUB_DATABASE_URL"], _small_portfolio)

    result = CliRunner().invoke(main, ["score", "--client", "acme"])

    assert result.exit_code == 0, result.output
    assert "acme: 1 open cases scored as of 2024-12-31" in result.output
    assert "scored with default weights" in result.output


def test_score_json_lists_every_client(hub_env: dict[str, str]) -> None:
    _seed(hub_env["HUB_DATABASE_URL"], _small_portfolio)

    result = CliRunner().invoke(main, ["score", "--json"])
    payload = json.loads(result.output)

    assert result.exit_code == 0, result.output
    assert [item["client"] for item in payload] == ["acme"]
    assert payload[0]["score_source"] == "default"
    assert payload[0]["scored_cases"] == 1


def test_score_without_clients_says_so(hub_env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["score"])

    assert result.exit_code == 0, result.output
    assert "no clients" in result.output


def test_score_backtest_json_keys(hub_env: dict[str, str], shared_dir: Path) -> None:
    _seed(hub_env["HUB_DATABASE_URL"], _sample_portfolio(shared_dir))

    result = CliRunner().invoke(main, ["score", "--client", "ibm", "--backtest", "--json"])
    payload = json.loads(result.output)

    assert result.exit_code == 0, result.output
    assert {"auc", "brier", "n_train", "n_test"} <= payload.keys()
    assert payload["score_source"] == "model"
    assert payload["n_train"] + payload["n_test"] > 0
    assert 0.5 < payload["auc"] <= 1.0


def test_score_backtest_text(hub_env: dict[str, str], shared_dir: Path) -> None:
    _seed(hub_env["HUB_DATABASE_URL"], _sample_portfolio(shared_dir))

    result = CliRunner().invoke(main, ["score", "--client", "ibm", "--backtest"])

    assert result.exit_code == 0, result.output
    assert "ibm: backtest as of 2013-09-30 with the client's own model" in result.output
    for key in ("auc", "brier", "n_train", "n_test"):
        assert f"\n  {key} " in result.output, key


def test_score_sample_prints_segments(hub_env: dict[str, str], shared_dir: Path) -> None:
    _seed(hub_env["HUB_DATABASE_URL"], _sample_portfolio(shared_dir))

    result = CliRunner().invoke(main, ["score", "--client", "ibm", "--json"])
    payload = json.loads(result.output)

    assert result.exit_code == 0, result.output
    assert payload["score_source"] == "model"
    assert sum(payload["segments"].values()) == payload["scored_cases"]
    assert payload["scored_cases"] > 0
