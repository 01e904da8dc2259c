"""Helpers that let click commands run async services against the configured database."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import create_engine, create_session_factory
from hub.errors import HubError
from hub.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")


def run_in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one session on the configured database and commit it if it returns."""

    async def runner() -> T:
        engine = create_engine(Settings.from_env().database_url)
        try:
            async with create_session_factory(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(runner())


def reports_hub_errors(command: Callable[P, T]) -> Callable[P, T]:
    """Turn a HubError into a one-line message on stderr and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except HubError as error:
            raise click.ClickException(str(error)) from error

    return wrapper


def echo_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, default=str))
