"""Admin pages for a debtor's data: export (JSON and HTML) and erasure."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.cases.models import Case
from hub.debtors.models import Debtor
from hub.errors import ValidationError
from hub.privacy.erasure import ErasureResult, count_open_invoices, erase_debtor_on_request
from hub.privacy.export import export_debtor
from hub.privacy.lookup import get_debtor_in_scope, get_erasure
from hub.privacy.retention_routes import ROUTES as RETENTION_ROUTES
from hub.web.auth import requires_admin
from hub.web.htmx import redirect_after_post, render

ADMIN_GUARDS = [requires_admin]
# Exports and erasure pages carry personal data, so no browser or proxy may keep them.
NO_STORE_HEADERS = {"Cache-Control": "no-store"}


@get("/debtors/{debtor_id:int}/export.json", guards=ADMIN_GUARDS)
async def export_debtor_json(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    debtor_id: FromPath[int],
) -> Response[dict[str, Any]]:
    export = await export_debtor(db_session, client_scope, current_user, debtor_id, "json")
    headers = {**NO_STORE_HEADERS, "Content-Disposition": f'attachment; filename="debtor-{debtor_id}-export.json"'}
    return Response(content=export, media_type="application/json", headers=headers)


@get("/debtors/{debtor_id:int}/export", guards=ADMIN_GUARDS)
async def export_debtor_page(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    debtor_id: FromPath[int],
) -> Template:
    export = await export_debtor(db_session, client_scope, current_user, debtor_id, "html")
    context = {"current_user": current_user, "export": export}
    return render("privacy/export.html", context, headers=NO_STORE_HEADERS)


async def erase_page_context(session: AsyncSession, debtor: Debtor, current_user: User) -> dict[str, Any]:
    case_query = select(Case.id).where(Case.client_id == debtor.client_id, Case.debtor_id == debtor.id)
    return {
        "current_user": current_user,
        "debtor": debtor,
        "case_id": await session.scalar(case_query),
        "erasure": await get_erasure(session, debtor),
        "open_invoices": await count_open_invoices(session, debtor),
        "errors": {},
        "confirmation": "",
        "notice": None,
    }


@get("/debtors/{debtor_id:int}/erase", guards=ADMIN_GUARDS)
async def show_erase_form(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    debtor_id: FromPath[int],
) -> Template:
    debtor = await get_debtor_in_scope(db_session, client_scope, debtor_id)
    context = await erase_page_context(db_session, debtor, current_user)
    if request.query_params.get("erased") and context["erasure"] is not None:
        context["notice"] = f"Debtor {debtor.id} erased."
    return render("privacy/erase.html", context, headers=NO_STORE_HEADERS)


def _already_erased_notice(result: ErasureResult) -> str:
    return f"Debtor {result.debtor_id} was already erased ({result.reason.value}); nothing changed."


@post("/debtors/{debtor_id:int}/erase", guards=ADMIN_GUARDS)
async def submit_erasure(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    debtor_id: FromPath[int],
) -> Response[Any] | Template:
    form = await request.form()
    confirmation = str(form.get("confirm_reference", ""))
    try:
        result = await erase_debtor_on_request(db_session, client_scope, current_user, debtor_id, confirmation)
    except ValidationError as error:
        debtor = await get_debtor_in_scope(db_session, client_scope, debtor_id)
        context = await erase_page_context(db_session, debtor, current_user)
        context |= {"errors": error.field_errors, "confirmation": confirmation}
        return render(
            "privacy/erase.html", context, status_code=HTTP_422_UNPROCESSABLE_ENTITY, headers=NO_STORE_HEADERS
        )

    if not result.already_erased:
        return redirect_after_post(request, f"/debtors/{debtor_id}/erase?erased=1")
    debtor = await get_debtor_in_scope(db_session, client_scope, debtor_id)
    context = await erase_page_context(db_session, debtor, current_user)
    context["notice"] = _already_erased_notice(result)
    return render("privacy/erase.html", context, headers=NO_STORE_HEADERS)


ROUTES = [export_debtor_json, export_debtor_page, show_erase_form, submit_erasure, *RETENTION_ROUTES]
