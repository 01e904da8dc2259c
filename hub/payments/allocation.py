"""Deciding which invoices a payment pays: the invoice it quotes first, then the debtor's oldest open invoices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub.invoices.models import Invoice
from hub.web.templating import format_money

# Length of Payment.unallocated_reason.
REASON_MAX_CHARS = 300


@dataclass(frozen=True)
class AllocationPlan:
    """The parts of a payment each invoice takes, and what no invoice took with the reason."""

    parts: list[tuple[Invoice, int]]
    unallocated_minor: int
    reason: str | None


def plan_allocation(
    amount_minor: int,
    currency: str,
    quoted: Invoice | None,
    others: Sequence[Invoice],
    *,
    debtor_label: str | None,
) -> AllocationPlan:
    """Split ``amount_minor`` over ``quoted`` and then ``others`` in their order, each up to what it has left.

    ``others`` are the debtor's open, undisputed invoices with a positive
    amount, oldest due date first; the caller selects them. ``debtor_label``
    names the debtor in the reason for an overpayment.
    """
    parts: list[tuple[Invoice, int]] = []
    rest = amount_minor
    for invoice in ([quoted] if quoted is not None else []) + [item for item in others if item is not quoted]:
        if rest <= 0:
            break
        taken = min(rest, max(invoice.remaining_minor(), 0))
        if taken > 0:
            parts.append((invoice, taken))
            rest -= taken
    if rest <= 0:
        return AllocationPlan(parts, 0, None)
    described = f"debtor {debtor_label}" if debtor_label else "the debtor"
    reason = (
        f"overpayment of {format_money(rest, currency)}: "
        f"no other open, undisputed invoice of {described} has an amount left to pay"
    )
    return AllocationPlan(parts, rest, clip_reason(reason))


def clip_reason(reason: str) -> str:
    """Cut ``reason`` to the length of the unallocated_reason column."""
    if len(reason) <= REASON_MAX_CHARS:
        return reason
    return reason[: REASON_MAX_CHARS - 3] + "..."
