"""Logging a call outcome from the case workspace."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.audit.services import record_interaction_created
from hub.cases.routes import outcome_form_context, workspace_context
from hub.cases.workspace import get_case
from hub.errors import ValidationError
from hub.interactions.models import CallOutcome
from hub.interactions.services import log_call_outcome
from hub.interactions.timeline import list_timeline
from hub.text import require_plain_text
from hub.web.htmx import is_htmx, render
from hub.web.ids import require_row_ids

OUTCOME_FIELDS = ("outcome", "note", "next_action_on")


def parse_next_action_on(value: str) -> date | None:
    require_plain_text("next_action_on", "Next action date", value)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        message = f"Invalid next action date {value!r}: use YYYY-MM-DD, for example 2026-12-31."
        raise ValidationError(message, {"next_action_on": message}) from None


async def read_outcome_form(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name, "")).strip() for name in OUTCOME_FIELDS}


async def invalid_outcome_response(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    scope: Scope,
    case_id: int,
    current_user: User,
    values: dict[str, str],
    error: ValidationError,
) -> Template:
    """Show the form again with the submitted values and an error next to each invalid field."""
    form = outcome_form_context(case_id, values, error)
    if is_htmx(request):
        headers = {"HX-Retarget": "#outcome-form", "HX-Reswap": "outerHTML"}
        return render("cases/_outcome_form.html", {"form": form}, status_code=422, headers=headers)
    context = await workspace_context(session, scope, case_id, current_user, form)
    return render("cases/workspace.html", context, status_code=HTTP_422_UNPROCESSABLE_ENTITY)


@post("/cases/{case_id:int}/outcomes", guards=[require_row_ids])
async def submit_call_outcome(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    case_id: FromPath[int],
) -> Response[Any] | Template:
    await get_case(db_session, client_scope, case_id)
    values = await read_outcome_form(request)
    try:
        next_action_on = parse_next_action_on(values["next_action_on"])
        interaction = await log_call_outcome(
            db_session,
            client_scope,
            case_id,
            current_user.id,
            outcome=values["outcome"],
            note=values["note"] or None,
            next_action_on=next_action_on,
        )
    except ValidationError as error:
        # Rolling back expires every loaded object, so the user is reloaded before the page uses it.
        await db_session.rollback()
        await db_session.refresh(current_user)
        return await invalid_outcome_response(request, db_session, client_scope, case_id, current_user, values, error)
    await db_session.commit()
    await record_interaction_created(db_session, current_user, interaction)

    if not is_htmx(request):
        return Redirect(path=f"/cases/{case_id}", status_code=HTTP_303_SEE_OTHER)
    timeline = await list_timeline(db_session, client_scope, case_id)
    outcome = CallOutcome(interaction.outcome) if interaction.outcome else None
    context = {"form": outcome_form_context(case_id), "timeline": timeline, "logged_outcome": outcome}
    return render("cases/_outcome_saved.html", context)


ROUTES = [submit_call_outcome]
