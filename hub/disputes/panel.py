"""Context of the case workspace's dispute panel (templates/disputes/_panel.html)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.cases.workspace import Workspace
from hub.disputes.details import debtor_disputes
from hub.disputes.models import DisputeReason
from hub.disputes.services import DISPUTE_CHANNELS
from hub.errors import ValidationError
from hub.interactions.models import Channel
from hub.interactions.timeline import CHANNEL_LABELS
from hub.web.templating import format_clock

DISPUTE_FORM_FIELDS = ("reason", "channel", "note")


def empty_dispute_values() -> dict[str, Any]:
    return {"reason": "", "invoices": [], "channel": Channel.CALL.value, "note": ""}


def dispute_lock_reason(workspace: Workspace, user: User) -> str | None:
    """Return why the dispute form is disabled (another user has a live claim on the case), or None."""
    claim = workspace.claim
    if claim is None or claim.user_id == user.id:
        return None
    return (
        f"Claimed by {claim.name} until {format_clock(claim.until)}: "
        "record the dispute once they release the case or the claim lapses."
    )


async def dispute_panel(
    session: AsyncSession,
    workspace: Workspace,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    error: ValidationError | None = None,
) -> dict[str, Any]:
    """Return the values templates/disputes/_panel.html reads under ``disputes``.

    ``values`` and ``error`` show a submitted form again with an error next to each invalid field.
    """
    field_errors = dict(error.field_errors) if error else {}
    if error and not field_errors:
        field_errors["form"] = str(error)
    disputes = await debtor_disputes(session, workspace.case)
    available = [line for line in workspace.open_invoices if not line.disputed and line.open_minor > 0]
    return {
        "case_id": workspace.case.id,
        "currency": workspace.case.currency,
        "disputes": disputes,
        "open_count": sum(1 for detail in disputes if detail.is_open),
        "available_invoices": available,
        "reasons": list(DisputeReason),
        "channels": [(channel.value, CHANNEL_LABELS[channel]) for channel in DISPUTE_CHANNELS],
        "values": values or empty_dispute_values(),
        "errors": field_errors,
        "locked_reason": dispute_lock_reason(workspace, user),
    }
