"""Recording and cancelling promises to pay from the case workspace."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.cases.priority import client_today
from hub.cases.routes import head_context, workspace_context
from hub.cases.workspace import get_case, load_workspace
from hub.clients.models import Client
from hub.errors import ValidationError
from hub.interactions.timeline import list_timeline
from hub.promises.forms import form_terms, read_promise_form
from hub.promises.panel import promise_panel
from hub.promises.services import cancel_promise, record_promise
from hub.web.htmx import is_htmx, render
from hub.web.ids import require_row_ids

PANEL_ID = "#promises-panel"


def case_promises_url(case_id: int) -> str:
    return f"/cases/{case_id}#promises-panel"


async def _reset_session(session: AsyncSession, user: User) -> None:
    # Rolling back expires every loaded object, so the user is reloaded before the page uses it.
    await session.rollback()
    await session.refresh(user)


async def _invalid_response(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    scope: Scope,
    case_id: int,
    user: User,
    panel_arguments: dict[str, Any],
) -> Template:
    """Show the panel again with the submitted values and each error beside its field (status 422)."""
    workspace = await load_workspace(session, scope, case_id)
    panel = await promise_panel(session, workspace, user, **panel_arguments)
    if is_htmx(request):
        headers = {"HX-Retarget": PANEL_ID, "HX-Reswap": "outerHTML"}
        return render("promises/_panel.html", {"promises": panel}, status_code=422, headers=headers)
    context = await workspace_context(session, scope, case_id, user)
    context["promises"] = panel
    return render("cases/workspace.html", context, status_code=HTTP_422_UNPROCESSABLE_ENTITY)


async def _saved_response(
    request: Request[Any, Any, Any], session: AsyncSession, scope: Scope, case_id: int, user: User, message: str
) -> Response[Any] | Template:
    if not is_htmx(request):
        return Redirect(path=case_promises_url(case_id), status_code=HTTP_303_SEE_OTHER)
    workspace = await load_workspace(session, scope, case_id)
    panel = await promise_panel(session, workspace, user)
    timeline = await list_timeline(session, scope, case_id)
    context = {**head_context(workspace, user), "promises": panel, "timeline": timeline, "flash_message": message}
    return render("promises/_saved.html", context)


@post("/cases/{case_id:int}/promises", guards=[require_row_ids])
async def submit_promise(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    case_id: FromPath[int],
) -> Response[Any] | Template:
    case = await get_case(db_session, client_scope, case_id)
    client = await db_session.get_one(Client, case.client_id)
    form = read_promise_form(await request.form())
    try:
        terms = form_terms(form, case.currency, client_today(client))
        promise = await record_promise(
            db_session,
            client_scope,
            case_id,
            current_user.id,
            terms,
            channel=form.values["channel"],
            note=form.values["note"] or None,
        )
    except ValidationError as error:
        await _reset_session(db_session, current_user)
        arguments = {"form": form, "error": error}
        return await _invalid_response(request, db_session, client_scope, case_id, current_user, arguments)
    message = f"Promise #{promise.id} recorded."
    return await _saved_response(request, db_session, client_scope, case_id, current_user, message)


@post("/cases/{case_id:int}/promises/{promise_id:int}/cancel", guards=[require_row_ids])
async def submit_promise_cancel(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    case_id: FromPath[int],
    promise_id: FromPath[int],
) -> Response[Any] | Template:
    await get_case(db_session, client_scope, case_id)
    reason = str((await request.form()).get("reason", "") or "")
    try:
        await cancel_promise(db_session, client_scope, promise_id, current_user.id, reason, case_id=case_id)
    except ValidationError as error:
        await _reset_session(db_session, current_user)
        arguments = {"cancel_error": (promise_id, error)}
        return await _invalid_response(request, db_session, client_scope, case_id, current_user, arguments)
    message = f"Promise #{promise_id} cancelled."
    return await _saved_response(request, db_session, client_scope, case_id, current_user, message)


ROUTES = [submit_promise, submit_promise_cancel]
