"""Helpers that let click commands run async services against the configured database."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import click
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.clients.models import Client
from hub.clients.services import get_client_by_slug
from hub.db import create_engine, create_session_factory
from hub.errors import HubError
from hub.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")


def run_in_session(work: Callable[[AsyncSession], Awaitable[T]], database_url: str | None = None) -> T:
    """Run ``work`` in one session and commit it if it returns.

    The database is ``database_url``, or HUB_DATABASE_URL when it is None.
    """

    async def runner() -> T:
        engine = create_engine(database_url or Settings.from_env().database_url)
        try:
            async with create_session_factory(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(runner())


def reports_hub_errors(command: Callable[P, T]) -> Callable[P, T]:
    """Turn a HubError or a refused database write into a one-line message on stderr and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except HubError as error:
            raise click.ClickException(str(error)) from error
        except IntegrityError as error:
            raise click.ClickException(integrity_message(error)) from error

    return wrapper


def integrity_message(error: IntegrityError) -> str:
    """Describe a write the database refused by its first line, which names the constraint and not the values."""
    detail = str(error.orig).splitlines()[0] if error.orig is not None else type(error).__name__
    return f"the database refused the change ({detail}): check the values for repeats and try again"


def echo_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, default=str))


async def cli_scope(session: AsyncSession, client_slug: str | None) -> Scope:
    """Return the scope of a command: the client ``client_slug``, or every client when it is None."""
    if client_slug is not None:
        return Scope.for_client((await get_client_by_slug(session, client_slug)).id)
    return Scope(client_ids=frozenset((await session.scalars(select(Client.id))).all()))


def echo_table(rows: list[dict[str, object]], columns: tuple[tuple[str, str, int], ...], noun: str) -> None:
    """Print ``rows`` under a header of (key, title, width) ``columns``, then a count line such as "3 case(s)"."""
    click.echo(" ".join(title.ljust(width) for _, title, width in columns).rstrip())
    for row in rows:
        cells = ("-" if row[key] is None else str(row[key]) for key, _, _ in columns)
        widths = (width for _, _, width in columns)
        click.echo(" ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip())
    click.echo(f"{len(rows)} {noun}(s)")
