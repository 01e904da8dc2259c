"""Context of the case workspace's promise panel (templates/promises/_panel.html)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.cases.workspace import Workspace
from hub.errors import ValidationError
from hub.interactions.models import Interaction
from hub.interactions.timeline import CHANNEL_LABELS
from hub.promises.evaluation import kept_rate
from hub.promises.forms import DEFAULT_VALUES, TEXT_FIELDS, PromiseForm
from hub.promises.models import PromiseStatus
from hub.promises.schedule import FREQUENCY_LABELS, MAX_INSTALMENTS
from hub.promises.services import PROMISE_CHANNELS, PromiseView, list_case_promises, open_invoices
from hub.web.templating import format_clock

# Form fields in the order they appear, so focus goes to the first invalid one.
FIELD_ORDER = ("amount", "first_due_on", "instalments", "frequency", "amounts", "invoices", "channel", "note")


@dataclass(frozen=True)
class InvoiceChoice:
    number: str
    due_date: date
    open_minor: int
    disputed: bool
    checked: bool


@dataclass(frozen=True)
class PromiseSource:
    """The interaction a promise was recorded in."""

    channel: str
    at: datetime
    user_name: str | None


def form_context(
    workspace: Workspace,
    choices: list[InvoiceChoice],
    form: PromiseForm | None = None,
    error: ValidationError | None = None,
    *,
    locked_reason: str | None = None,
) -> dict[str, Any]:
    """Context of the promise form: the typed values, the invoice choices, errors per field and the lock."""
    errors = dict(error.field_errors) if error else {}
    if error and not errors:
        errors["form"] = str(error)
    values = dict.fromkeys(TEXT_FIELDS, "") | DEFAULT_VALUES
    if form is not None:
        values |= {name: value for name, value in form.values.items() if value or name not in DEFAULT_VALUES}
    first_invalid = next((name for name in FIELD_ORDER if name in errors), None)
    needs_confirm = "confirm_above_balance" in errors or (form is not None and form.confirm_above_balance)
    return {
        "case_id": workspace.case.id,
        "currency": workspace.case.currency,
        "open_minor": workspace.case.open_minor,
        "values": values,
        "invoices": choices,
        "errors": errors,
        "first_invalid": first_invalid,
        "show_confirm": needs_confirm,
        "confirmed": form.confirm_above_balance if form is not None else False,
        "channels": [(channel.value, CHANNEL_LABELS[channel.value]) for channel in PROMISE_CHANNELS],
        "frequencies": [(frequency.value, label) for frequency, label in FREQUENCY_LABELS.items()],
        "max_instalments": MAX_INSTALMENTS,
        "locked_reason": locked_reason,
    }


async def invoice_choices(session: AsyncSession, workspace: Workspace, form: PromiseForm | None) -> list[InvoiceChoice]:
    """Return the debtor's open invoices; a fresh form checks the undisputed ones, a submitted one what was sent."""
    chosen = set(form.invoices) if form is not None else None
    choices = []
    for invoice, disputed in await open_invoices(session, workspace.case):
        checked = (not disputed) if chosen is None else invoice.number in chosen
        choices.append(InvoiceChoice(invoice.number, invoice.due_date, invoice.open_minor, disputed, checked))
    return choices


async def _sources(session: AsyncSession, views: list[PromiseView]) -> dict[int, PromiseSource]:
    ids = [view.promise.interaction_id for view in views if view.promise.interaction_id is not None]
    if not ids:
        return {}
    query = (
        select(Interaction.id, Interaction.channel, Interaction.created_at, User.display_name)
        .outerjoin(User, User.id == Interaction.user_id)
        .where(Interaction.id.in_(ids))
    )
    rows = await session.execute(query)
    return {row.id: PromiseSource(row.channel.value, row.created_at, row.display_name) for row in rows}


def lock_reason(workspace: Workspace, user: User) -> str | None:
    """Return why the promise forms are disabled (another user has an unexpired claim), or None."""
    claim = workspace.claim
    if claim is None or claim.user_id == user.id:
        return None
    return (
        f"Claimed by {claim.name} until {format_clock(claim.until)}: "
        "record a promise once they release the case or the claim lapses."
    )


async def promise_panel(
    session: AsyncSession,
    workspace: Workspace,
    user: User,
    form: PromiseForm | None = None,
    error: ValidationError | None = None,
    *,
    cancel_error: tuple[int, ValidationError] | None = None,
) -> dict[str, Any]:
    """Return the values templates/promises/_panel.html reads under ``promises``.

    ``form`` and ``error`` show a rejected submission again; ``cancel_error``
    is the promise id and error of a rejected cancellation.
    """
    case = workspace.case
    scope = Scope.for_client(case.client_id, user_id=user.id)
    views = await list_case_promises(session, scope, case.id)
    sources = await _sources(session, views)
    kept, due = await kept_rate(session, workspace.client, case.id)
    choices = await invoice_choices(session, workspace, form)
    locked = lock_reason(workspace, user)
    return {
        "case_id": case.id,
        "currency": case.currency,
        "grace_days": workspace.client.promise_grace_days,
        "entries": [
            {
                "view": view,
                "promise": view.promise,
                "status": PromiseStatus(view.promise.status),
                "source": sources.get(view.promise.interaction_id or 0),
                "cancel_error": str(cancel_error[1]) if cancel_error and cancel_error[0] == view.promise.id else None,
            }
            for view in views
        ],
        "kept_minor": kept,
        "due_minor": due,
        "broken_promise_on": case.broken_promise_on,
        "form": form_context(workspace, choices, form, error, locked_reason=locked),
        "locked_reason": locked,
    }
