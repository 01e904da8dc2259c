"""API: the call queue and claiming its next case."""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.api.schemas import ClaimOut, QueueRowOut, error_responses, queue_row_out
from hub.cases.models import Case
from hub.cases.queue import claim_next_case, list_call_queue
from hub.cases.routes import list_scope_clients
from hub.errors import NotFoundError

QUEUE_DEFAULT_LIMIT = 100
QUEUE_MAX_LIMIT = 1000

ClientSlug = Annotated[
    str | None, QueryParameter(name="client", description="Slug of one client; default: all of yours")
]
SegmentName = Annotated[str | None, QueryParameter(description="Risk segment: high, medium or low; default: all")]


async def resolve_client_id(session: AsyncSession, scope: Scope, slug: str | None) -> int | None:
    """Return the id of the client ``slug`` in ``scope``; None when no client is named."""
    if not slug:
        return None
    clients = await list_scope_clients(session, scope)
    client = next((client for client in clients if client.slug == slug), None)
    if client is None:
        raise NotFoundError(f"client {slug!r} not found among the clients you work on: see GET /api/v1/clients")
    return client.id


@get("/queues/call", responses=error_responses(400, 404, 422))
async def list_call_queue_rows(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    client_slug: ClientSlug = None,
    segment: SegmentName = None,
    limit: Annotated[int, QueryParameter(ge=1, le=QUEUE_MAX_LIMIT, description="Maximum rows")] = QUEUE_DEFAULT_LIMIT,
) -> list[QueueRowOut]:
    """List the workable cases, highest priority first, in the order of `hub queue call`."""
    client_id = await resolve_client_id(db_session, client_scope, client_slug)
    entries = await list_call_queue(db_session, client_scope, client_id=client_id, segment=segment or None, limit=limit)
    return [queue_row_out(entry) for entry in entries]


@post("/queues/call/next", status_code=HTTP_200_OK, responses=error_responses(404, 422))
async def claim_next_call(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    client_slug: ClientSlug = None,
    segment: SegmentName = None,
) -> ClaimOut:
    """Claim the top workable case for the token's user, as the "Next case" button does.

    A case the user already has a claim on comes back first with its claim extended.
    """
    client_id = await resolve_client_id(db_session, client_scope, client_slug)
    case_id = await claim_next_case(
        db_session, client_scope, current_user.id, client_id=client_id, segment=segment or None
    )
    if case_id is None:
        return ClaimOut(case_id=None, claimed_until=None)

    case = await db_session.get_one(Case, case_id, populate_existing=True)
    return ClaimOut(case_id=case.id, claimed_until=case.claimed_until)


ROUTES = [list_call_queue_rows, claim_next_call]
