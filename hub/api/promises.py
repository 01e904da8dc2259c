"""API: promises to pay and instalment plans of a case, and cancelling them.

Money is integer minor units of the case currency; dates are YYYY-MM-DD.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from litestar import get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.api.schemas import ErrorBody, error_responses
from hub.cases.workspace import get_case
from hub.promises.forms import parse_first_due_on
from hub.promises.models import PromiseInstalment
from hub.promises.services import (
    PromiseTerms,
    PromiseView,
    cancel_promise,
    get_promise,
    list_case_promises,
    promise_views,
    record_promise,
)

CONFLICT = ResponseSpec(
    data_container=ErrorBody, description="Another user has an unexpired claim on the case, or the promise is not open"
)


def change_responses() -> dict[int, ResponseSpec]:
    return {**error_responses(400, 404, 422), 409: CONFLICT}


@dataclass(frozen=True)
class PromiseIn:
    """A promise or plan, with the checks of the workspace form.

    ``first_due_on`` is YYYY-MM-DD, today or later in the client's time
    zone. ``instalments`` is 1 to 36; a plan of 2 or more needs
    ``frequency`` (weekly, fortnightly or monthly). ``amounts_minor``, when
    given, has one amount per instalment adding up to ``amount_minor``;
    otherwise the amount is split equally with the remainder on the last.
    ``invoice_numbers`` null covers every open undisputed invoice of the
    debtor. An amount above the case's open balance needs
    ``confirm_above_balance``. ``channel`` is call, email, sms or letter.
    """

    amount_minor: int
    first_due_on: str
    instalments: int = 1
    frequency: str | None = None
    amounts_minor: list[int] | None = None
    invoice_numbers: list[str] | None = None
    confirm_above_balance: bool = False
    channel: str = "call"
    note: str | None = None


@dataclass(frozen=True)
class PromiseCancelIn:
    reason: str = ""


@dataclass(frozen=True)
class InstalmentOut:
    """One instalment; ``paid_on_time_minor`` is what arrived by the due date plus the client's grace days."""

    sequence: int
    due_on: date
    amount_minor: int
    paid_minor: int
    paid_on_time_minor: int
    status: str


@dataclass(frozen=True)
class PromiseOut:
    """A promise; ``status`` is open, kept, partly_kept, broken or cancelled."""

    id: int
    case_id: int
    debtor_id: int
    interaction_id: int | None
    created_by_id: int | None
    status: str
    currency: str
    amount_minor: int
    frequency: str | None
    made_on: date
    paid_minor: int
    paid_on_time_minor: int
    due_minor: int
    note: str | None
    created_at: datetime
    status_changed_at: datetime | None
    invoice_numbers: list[str] = field(default_factory=list)
    instalments: list[InstalmentOut] = field(default_factory=list)


def instalment_out(item: PromiseInstalment) -> InstalmentOut:
    return InstalmentOut(
        item.sequence, item.due_on, item.amount_minor, item.paid_minor, item.paid_on_time_minor, item.status.value
    )


def promise_out(view: PromiseView) -> PromiseOut:
    promise = view.promise
    return PromiseOut(
        id=promise.id,
        case_id=promise.case_id,
        debtor_id=promise.debtor_id,
        interaction_id=promise.interaction_id,
        created_by_id=promise.created_by_id,
        status=promise.status.value,
        currency=promise.currency,
        amount_minor=promise.amount_minor,
        frequency=promise.frequency.value if promise.frequency is not None else None,
        made_on=promise.made_on,
        paid_minor=promise.paid_minor,
        paid_on_time_minor=promise.paid_on_time_minor,
        due_minor=promise.due_minor,
        note=promise.note,
        created_at=promise.created_at,
        status_changed_at=promise.status_changed_at,
        invoice_numbers=list(view.invoice_numbers),
        instalments=[instalment_out(item) for item in view.instalments],
    )


async def _promise_detail(session: AsyncSession, scope: Scope, promise_id: int) -> PromiseOut:
    promise = await get_promise(session, scope, promise_id)
    [view] = await promise_views(session, [promise])
    return promise_out(view)


@get("/cases/{case_id:int}/promises", responses=error_responses(404))
async def list_promises(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    case_id: FromPath[int],
) -> list[PromiseOut]:
    """List the case's promises with their instalments, newest first."""
    return [promise_out(view) for view in await list_case_promises(db_session, client_scope, case_id)]


@post("/cases/{case_id:int}/promises", responses=change_responses())
async def create_promise(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    case_id: FromPath[int],
    data: JSONBody[PromiseIn],
) -> PromiseOut:
    """Record a promise or instalment plan with its interaction; an open promise on the case is replaced."""
    await get_case(db_session, client_scope, case_id)
    terms = PromiseTerms(
        amount_minor=data.amount_minor,
        first_due_on=parse_first_due_on(data.first_due_on.strip()),
        instalments=data.instalments,
        frequency=data.frequency,
        amounts_minor=data.amounts_minor,
        invoice_numbers=data.invoice_numbers,
        confirm_above_balance=data.confirm_above_balance,
    )
    promise = await record_promise(
        db_session, client_scope, case_id, current_user.id, terms, channel=data.channel, note=data.note
    )
    return await _promise_detail(db_session, client_scope, promise.id)


@get("/promises/{promise_id:int}", responses=error_responses(404))
async def get_promise_detail(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    promise_id: FromPath[int],
) -> PromiseOut:
    """Return one promise with its instalments and covered invoices."""
    return await _promise_detail(db_session, client_scope, promise_id)


@post("/promises/{promise_id:int}/cancel", status_code=200, responses=change_responses())
async def cancel_promise_api(
    db_session: NamedDependency[AsyncSession],
    client_scope: NamedDependency[Scope],
    current_user: NamedDependency[User],
    promise_id: FromPath[int],
    data: JSONBody[PromiseCancelIn],
) -> PromiseOut:
    """Cancel an open promise with a reason; its case returns to the call queue."""
    await cancel_promise(db_session, client_scope, promise_id, current_user.id, data.reason)
    return await _promise_detail(db_session, client_scope, promise_id)


ROUTES = [list_promises, create_promise, get_promise_detail, cancel_promise_api]
