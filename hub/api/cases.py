"""API: one case, its timeline and logging an outcome."""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
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
from hub.cases.numbers import case_numbers
from hub.cases.workspace import get_case, load_workspace
from hub.interactions.fields import parse_day, parse_time_of_day
from hub.interactions.routes import parse_next_action_on
from hub.interactions.services import PaidClaim, list_timeline, log_call_outcome
from hub.interactions.timeline import TIMELINE_FILTERS

KIND_DESCRIPTION = f"Show only one kind of event: {', '.join(TIMELINE_FILTERS)} (default all)."


@get("/cases/{case_id:int}", responses=error_responses(404))
async def get_case_detail(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    case_id: FromPath[int],
) -> CaseOut:
    """Return the case: debtor, open invoices with aging buckets, risk score and its factors, next action, numbers."""
    workspace = await load_workspace(db_session, client_scope, case_id)
    numbers = await case_numbers(db_session, workspace.case, workspace.client)
    await record_case_viewed(db_session, current_user, workspace.case)
    return case_out(workspace, numbers)


@get("/cases/{case_id:int}/timeline", responses=error_responses(400, 404))
async def list_case_timeline(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    case_id: FromPath[int],
    kind: Annotated[str | None, QueryParameter(description=KIND_DESCRIPTION)] = None,
) -> list[TimelineEntryOut]:
    """List the case's contacts, promises, disputes, payments and payment checks, newest first.

    An unknown ``kind`` is a 400 error that lists the allowed values.
    """
    entries = await list_timeline(db_session, client_scope, case_id, kind)
    # The timeline shows the debtor's history, so reading it counts as viewing the case.
    await record_case_viewed(db_session, current_user, await get_case(db_session, client_scope, case_id))
    return [timeline_entry_out(entry) for entry in entries]


@post("/cases/{case_id:int}/outcomes", responses=error_responses(400, 404, 409, 422))
async def log_case_outcome(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    case_id: FromPath[int],
    data: JSONBody[OutcomeIn],
) -> OutcomeOut:
    """Log an outbound contact's outcome, apply its effect, schedule the next action and release the claim.

    wrong_party marks the debtor's phone unusable, and already_paid opens a
    payment check. A call_back_requested with ``next_action_time`` keeps the
    case out of the call queue until that time in the debtor's time zone.
    """
    case = await get_case(db_session, client_scope, case_id)
    paid = PaidClaim(
        paid_on=parse_day("paid_on", "Paid on", data.paid_on),
        amount_minor=data.paid_amount_minor,
        reference=data.paid_reference,
    )
    interaction = await log_call_outcome(
        db_session,
        client_scope,
        case_id,
        current_user.id,
        outcome=data.outcome.strip(),
        note=data.note,
        next_action_on=parse_next_action_on((data.next_action_on or "").strip()),
        channel=data.channel.strip(),
        next_action_time=parse_time_of_day("next_action_time", "Call-back time", data.next_action_time),
        paid=paid,
    )
    await record_interaction_created(db_session, current_user, interaction)
    await db_session.refresh(case)
    return outcome_out(interaction, case.next_action_at)


ROUTES = [get_case_detail, list_case_timeline, log_case_outcome]
