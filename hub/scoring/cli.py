"""``hub score``: re-score open cases, or print the time-split backtest."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cli_support import echo_json, reports_hub_errors, run_in_session
from hub.clients.models import Client
from hub.clients.services import get_client_by_slug
from hub.scoring.backtest import BacktestResult, run_backtest
from hub.scoring.model import MIN_LATE_INVOICES, MIN_ON_TIME_INVOICES, MIN_SETTLED_INVOICES, SOURCE_DEFAULT
from hub.scoring.service import ScoreResult, score_cases

DEFAULT_WEIGHTS_NOTE = (
    f"default weights: a model of its own needs {MIN_SETTLED_INVOICES} settled invoices "
    f"with {MIN_LATE_INVOICES} late and {MIN_ON_TIME_INVOICES} on time"
)


async def _clients(session: AsyncSession, slug: str | None) -> list[Client]:
    if slug is not None:
        return [await get_client_by_slug(session, slug)]
    return list((await session.scalars(select(Client).order_by(Client.slug))).all())


def _source_text(source: str) -> str:
    return DEFAULT_WEIGHTS_NOTE if source == SOURCE_DEFAULT else "the client's own model"


def _echo_score(result: ScoreResult) -> None:
    segments = ", ".join(f"{count} {name}" for name, count in result.segments.items())
    click.echo(
        f"{result.client}: {result.scored_cases} open cases scored as of {result.reference_date} "
        f"({segments}) from {result.settled_invoices} settled invoices, {result.late_invoices} late"
    )
    click.echo(f"  scored with {_source_text(result.score_source)}")


def _echo_backtest(result: BacktestResult) -> None:
    click.echo(f"{result.client}: backtest as of {result.reference_date} with {_source_text(result.score_source)}")
    for key, value in result.as_dict().items():
        if key not in ("client", "reference_date", "score_source"):
            click.echo(f"  {key} {'n/a (one class in test)' if value is None else value}")


@click.command()
@click.option("--client", "client_slug", help="Slug of the client to score; every client when omitted.")
@click.option("--backtest", is_flag=True, help="Print time-split metrics (train on the earliest 80 %) instead.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: one object with --client, else a list.")
@reports_hub_errors
def score(client_slug: str | None, backtest: bool, as_json: bool) -> None:
    """Re-score open cases, or with --backtest print auc, brier, n_train and n_test."""

    async def work(session: AsyncSession) -> list[ScoreResult | BacktestResult]:
        clients = await _clients(session, client_slug)
        if backtest:
            return [await run_backtest(session, client) for client in clients]
        return [await score_cases(session, client) for client in clients]

    results = run_in_session(work)
    if as_json:
        payloads = [result.as_dict() for result in results]
        echo_json(payloads[0] if client_slug is not None else payloads)
        return
    if not results:
        click.echo("no clients: add one with `hub client add SLUG --name NAME`")
    for result in results:
        if isinstance(result, BacktestResult):
            _echo_backtest(result)
        else:
            _echo_score(result)
