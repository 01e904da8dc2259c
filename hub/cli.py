"""The ``hub`` console script."""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from hub.accounts.cli import user
from hub.api.cli import token
from hub.cases.cli import queue
from hub.cli_support import reports_hub_errors, run_in_session
from hub.clients.services import add_client
from hub.demo import demo
from hub.imports.cli import import_group
from hub.migrate import upgrade_database
from hub.privacy.cli import debtor, retention
from hub.scoring.cli import score
from hub.settings import Settings


@click.group()
def main() -> None:
    """Collections Hub: contact center for receivables follow-up."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="TCP port to listen on.")
@click.option("--demo", "seed_demo", is_flag=True, help="Seed the demo portfolio first when the database is empty.")
def serve(host: str, port: int, seed_demo: bool) -> None:
    """Serve the web app with the in-process job runner."""
    import uvicorn

    from hub.app import create_app
    from hub.demo import seed_demo_if_empty

    settings = Settings.from_env()
    upgrade_database(settings.database_url)
    if seed_demo:
        seed_demo_if_empty()
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@reports_hub_errors
def db_upgrade() -> None:
    """Apply every pending migration to HUB_DATABASE_URL."""
    url = Settings.from_env().database_url
    upgrade_database(url)
    click.echo(f"database schema is at the latest migration ({make_url(url).render_as_string()})")


@main.group()
def client() -> None:
    """Clients: the creditor companies whose portfolios are followed up."""


@client.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="Display name of the client.")
@click.option("--currency", default="EUR", show_default=True, help="ISO 4217 code of the portfolio's currency.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone of the client.")
@click.option("--language", default="en", show_default=True, help="Default language of debtor messages.")
@reports_hub_errors
def client_add(slug: str, name: str, currency: str, timezone: str, language: str) -> None:
    """Add a client identified by SLUG."""

    async def work(session):  # type: ignore[no-untyped-def]
        return await add_client(session, slug, name, currency, timezone, language)

    created = run_in_session(work)
    click.echo(f"client {created.slug} added ({created.currency}, {created.timezone})")


@main.command()
@reports_hub_errors
def worker() -> None:
    """Run the arq worker against HUB_REDIS_URL (production)."""
    from arq import run_worker
    from arq.connections import RedisSettings

    from hub.errors import ConfigurationError
    from workers.settings import WorkerSettings

    settings = Settings.from_env()
    if settings.redis_url is None:
        raise ConfigurationError("HUB_REDIS_URL is not set: the arq worker needs Redis, e.g. redis://127.0.0.1:6379/0")
    run_worker(WorkerSettings, redis_settings=RedisSettings.from_dsn(settings.redis_url))  # type: ignore[arg-type]


main.add_command(import_group)
main.add_command(score)
main.add_command(queue)
main.add_command(user)
main.add_command(token)
main.add_command(demo)
main.add_command(debtor)
main.add_command(retention)
