"""API: one case, its timeline and logging a call outcome."""

from __future__ import annotations

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.api.schemas import (
    CaseOut,
    OutcomeIn,
    OutcomeOut,
    TimelineEntryOut,
    case_out,
    error_responses,
    outcome_out,
    timeline_entry_out,
)
from hub.audit.services import record_case_viewed, record_interaction_created
from hub.cases.workspace import get_case, load_workspace
from hub.interactions.routes import parse_next_action_on
from hub.interactions.services import list_timeline, log_call_outcome


@get("/cases/{case_id:int}", responses=error_responses(404))
async def get_case_detail(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    case_id: FromPath[int],
) -> CaseOut:
    """Return the case: debtor, open invoices with aging buckets, risk score and its factors, next action."""
    workspace = await load_workspace(db_session, client_scope, case_id)
    await record_case_viewed(db_session, current_user, workspace.case)
    return case_out(workspace)


@get("/cases/{case_id:int}/timeline", responses=error_responses(404))
async def list_case_timeline(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    case_id: FromPath[int],
) -> list[TimelineEntryOut]:
    """List the case's calls, messages, payments and dispute events, newest first."""
    entries = await list_timeline(db_session, client_scope, case_id)
    # The timeline shows the debtor's history, so reading it counts as viewing the case.
    await record_case_viewed(db_session, current_user, await get_case(db_session, client_scope, case_id))
    return [timeline_entry_out(entry) for entry in entries]


@post("/cases/{case_id:int}/outcomes", responses=error_responses(400, 404, 422))
async def log_case_outcome(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    case_id: FromPath[int],
    data: JSONBody[OutcomeIn],
) -> OutcomeOut:
    """Log an outbound call's outcome, schedule the next action and release the user's claim on the case."""
    await get_case(db_session, client_scope, case_id)
    interaction = await log_call_outcome(
        db_session,
        client_scope,
        case_id,
        current_user.id,
        outcome=data.outcome.strip(),
        note=data.note,
        next_action_on=parse_next_action_on((data.next_action_on or "").strip()),
    )
    await record_interaction_created(db_session, current_user, interaction)
    return outcome_out(interaction)


ROUTES = [get_case_detail, list_case_timeline, log_case_outcome]
