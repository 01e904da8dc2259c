"""Row ids taken from URLs.

Every primary key in the schema is a 32-bit signed integer on PostgreSQL,
and SQLite rejects integers above 2**63 - 1 before it runs the query, so
an id outside 1..2**31 - 1 cannot name a row. Checking it first turns such
a request into a 404 instead of a database error.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from hub.errors import NotFoundError

MAX_ROW_ID = 2**31 - 1


def is_row_id(value: int) -> bool:
    """Return whether ``value`` can be the primary key of a row."""
    return 1 <= value <= MAX_ROW_ID


def require_row_id(value: int, noun: str) -> None:
    """Raise NotFoundError naming ``noun`` when ``value`` cannot be a row id."""
    if not is_row_id(value):
        raise NotFoundError(f"{noun.capitalize()} {value} not found.")


def require_row_ids(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """Raise NotFoundError (404) when an integer path parameter ending in ``_id`` cannot be a row id.

    Add it to a handler's ``guards`` (or to the app's) so every ``{x_id:int}``
    parameter is checked before the handler queries the database.
    """
    for name, value in connection.path_params.items():
        if name.endswith("_id") and isinstance(value, int) and not isinstance(value, bool):
            require_row_id(value, name.removesuffix("_id").replace("_", " "))
