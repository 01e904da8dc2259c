"""API: the token's user and the clients it works on."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.api.schemas import ClientOut, MeOut, client_out, error_responses, me_out
from hub.cases.routes import list_scope_clients


@get("/me", responses=error_responses())
async def get_me(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User], client_scope: NamedDependency[Scope]
) -> MeOut:
    """Return the user the bearer token belongs to, with the clients it works on."""
    clients = await list_scope_clients(db_session, client_scope)
    return me_out(current_user, clients)


@get("/clients", responses=error_responses())
async def list_clients(
    db_session: NamedDependency[AsyncSession], client_scope: NamedDependency[Scope]
) -> list[ClientOut]:
    """List the clients the token's user works on, by name."""
    return [client_out(client) for client in await list_scope_clients(db_session, client_scope)]


ROUTES = [get_me, list_clients]
