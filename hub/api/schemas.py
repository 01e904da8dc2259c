"""Request and response bodies of the JSON API, with the functions that build them from domain objects.

Money is integer minor units plus an ISO 4217 currency code; dates are
ISO 8601 days; timestamps are ISO 8601 in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from litestar.openapi.datastructures import ResponseSpec

from hub.accounts.models import User
from hub.cases.numbers import CaseNumbers
from hub.cases.queue import QueueEntry
from hub.cases.workspace import BucketTotal, InvoiceLine, Workspace
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.interactions.models import Interaction
from hub.interactions.services import TimelineEntry


@dataclass(frozen=True)
class ErrorDetail:
    status: int
    message: str
    fields: dict[str, str] | None = None


@dataclass(frozen=True)
class ErrorBody:
    """The body of every API error response."""

    error: ErrorDetail


@dataclass(frozen=True)
class ClientOut:
    id: int
    slug: str
    name: str
    currency: str
    timezone: str
    language: str


@dataclass(frozen=True)
class MeOut:
    id: int
    email: str
    display_name: str
    role: str
    clients: list[ClientOut]


@dataclass(frozen=True)
class QueueRowOut:
    """One call queue row: the keys of ``hub queue call --json`` plus the debtor's name."""

    case_id: int
    debtor_reference: str
    debtor_name: str | None
    risk_score: int | None
    priority: float
    open_minor: int
    currency: str
    days_past_due: int | None
    segment: str | None


@dataclass(frozen=True)
class DebtorOut:
    """A debtor's contact data; ``phone_usable`` is false once a wrong-party outcome marked ``phone``."""

    id: int
    reference: str
    name: str | None
    email: str | None
    phone: str | None
    language: str | None
    timezone: str | None
    phone_usable: bool = False
    unusable_phone_at: datetime | None = None


@dataclass(frozen=True)
class InvoiceOut:
    number: str
    currency: str
    amount_minor: int
    open_minor: int
    issue_date: date | None
    due_date: date
    days_past_due: int
    aging_bucket: str
    disputed: bool


@dataclass(frozen=True)
class AgingBucketOut:
    bucket: str
    count: int
    open_minor: int


@dataclass(frozen=True)
class CaseNumbersOut:
    """The workspace's numbers panel, in minor units of the case currency.

    ``promise_kept_minor`` is the promised money paid on time, out of
    ``promise_due_minor``, the promised money whose date plus the client's
    grace days has passed. ``promise_kept_percent`` is null while nothing is due.
    ``oldest_dispute_working_days`` is null without open disputes. Cash counts
    the debtor's payments from ``cash_from`` to ``cash_to`` inclusive, the 30
    days up to the client's reference date.
    """

    promise_kept_minor: int
    promise_due_minor: int
    promise_kept_percent: int | None
    open_disputes: int
    oldest_dispute_working_days: int | None
    cash_received_minor: int
    cash_from: date
    cash_to: date


@dataclass(frozen=True)
class CaseOut:
    """A case as the agent workspace shows it; aging counts days from the client's reference date."""

    id: int
    client: ClientOut
    debtor: DebtorOut
    status: str
    currency: str
    open_minor: int
    oldest_due_date: date | None
    reference_date: date
    risk_score: int | None
    segment: str | None
    risk_factors: list[str]
    score_source: str | None
    scored_at: datetime | None
    priority: float
    next_action_on: date | None
    promise_due_on: date | None
    open_invoices: list[InvoiceOut]
    aging: list[AgingBucketOut]
    # A call-back agreed for a time of day: the case is due from this UTC instant.
    next_action_at: datetime | None = None
    numbers: CaseNumbersOut | None = None


@dataclass(frozen=True)
class TimelineEntryOut:
    """One timeline event.

    ``kind`` is call, email, sms, letter, note, promise, dispute, payment or
    payment_check. ``date_only`` marks events known only by their day, whose
    ``at`` is 00:00 UTC. ``state`` is the current status of the promise,
    dispute or payment check the event belongs to.
    """

    at: datetime
    kind: str
    title: str
    detail: str | None
    user_name: str | None
    date_only: bool = False
    state: str | None = None


@dataclass(frozen=True)
class OutcomeIn:
    """An outcome of an outbound contact; the fields and their checks are those of the workspace form.

    ``channel`` is call (the default), email, sms, letter or note; only a note
    may leave ``outcome`` empty. ``next_action_on`` is YYYY-MM-DD; it is
    required for promise_to_pay and call_back_requested and defaults to
    tomorrow otherwise. ``next_action_time`` (HH:MM, only for
    call_back_requested) is the debtor's local time, 08:00-21:00. ``paid_on``
    (YYYY-MM-DD), ``paid_amount_minor`` and ``paid_reference`` are the payment
    details a debtor gives when stating they already paid (only for already_paid).
    """

    outcome: str = ""
    note: str | None = None
    next_action_on: str | None = None
    channel: str = "call"
    next_action_time: str | None = None
    paid_on: str | None = None
    paid_amount_minor: int | None = None
    paid_reference: str | None = None


@dataclass(frozen=True)
class OutcomeOut:
    """The logged interaction; ``next_action_at`` is the call-back instant (UTC) it set, if any."""

    id: int
    case_id: int
    outcome: str
    note: str | None
    next_action_on: date | None
    created_at: datetime
    channel: str = "call"
    next_action_at: datetime | None = None


@dataclass(frozen=True)
class ClaimOut:
    """The claimed case, or ``case_id`` null when no case is workable now."""

    case_id: int | None
    claimed_until: datetime | None


def client_out(client: Client) -> ClientOut:
    return ClientOut(client.id, client.slug, client.name, client.currency, client.timezone, client.language)


def me_out(user: User, clients: list[Client]) -> MeOut:
    return MeOut(user.id, user.email, user.display_name, user.role.value, [client_out(c) for c in clients])


def queue_row_out(entry: QueueEntry) -> QueueRowOut:
    return QueueRowOut(
        case_id=entry.case_id,
        debtor_reference=entry.debtor_reference,
        debtor_name=entry.debtor_name,
        risk_score=entry.risk_score,
        # Rounded as `hub queue call --json` rounds it.
        priority=round(entry.priority, 2),
        open_minor=entry.open_minor,
        currency=entry.currency,
        days_past_due=entry.days_past_due,
        segment=entry.segment,
    )


def debtor_out(debtor: Debtor) -> DebtorOut:
    return DebtorOut(
        debtor.id,
        debtor.reference,
        debtor.name,
        debtor.email,
        debtor.phone,
        debtor.language,
        debtor.timezone,
        phone_usable=debtor.phone_usable,
        unusable_phone_at=debtor.unusable_phone_at if debtor.phone and not debtor.phone_usable else None,
    )


def invoice_out(line: InvoiceLine) -> InvoiceOut:
    return InvoiceOut(
        number=line.number,
        currency=line.currency,
        amount_minor=line.amount_minor,
        open_minor=line.open_minor,
        issue_date=line.issue_date,
        due_date=line.due_date,
        days_past_due=line.days_past_due,
        aging_bucket=line.bucket,
        disputed=line.disputed,
    )


def bucket_out(total: BucketTotal) -> AgingBucketOut:
    return AgingBucketOut(total.bucket, total.count, total.open_minor)


def numbers_out(numbers: CaseNumbers) -> CaseNumbersOut:
    return CaseNumbersOut(
        promise_kept_minor=numbers.kept_minor,
        promise_due_minor=numbers.due_minor,
        promise_kept_percent=numbers.kept_percent,
        open_disputes=numbers.open_disputes,
        oldest_dispute_working_days=numbers.oldest_dispute_days,
        cash_received_minor=numbers.cash_minor,
        cash_from=numbers.cash_from,
        cash_to=numbers.cash_to,
    )


def case_out(workspace: Workspace, numbers: CaseNumbers | None = None) -> CaseOut:
    case = workspace.case
    return CaseOut(
        id=case.id,
        client=client_out(workspace.client),
        debtor=debtor_out(workspace.debtor),
        status=case.status.value,
        currency=case.currency,
        open_minor=case.open_minor,
        oldest_due_date=case.oldest_due_date,
        reference_date=workspace.reference_day,
        risk_score=case.risk_score,
        segment=case.segment.value if case.segment is not None else None,
        risk_factors=list(case.risk_factors or []),
        score_source=case.score_source,
        scored_at=case.scored_at,
        priority=case.priority,
        next_action_on=case.next_action_on,
        promise_due_on=case.promise_due_on,
        open_invoices=[invoice_out(line) for line in workspace.open_invoices],
        aging=[bucket_out(total) for total in workspace.buckets],
        next_action_at=case.next_action_at,
        numbers=numbers_out(numbers) if numbers is not None else None,
    )


def timeline_entry_out(entry: TimelineEntry) -> TimelineEntryOut:
    return TimelineEntryOut(
        entry.at, entry.kind, entry.title, entry.detail, entry.user_name, date_only=entry.date_only, state=entry.state
    )


def outcome_out(interaction: Interaction, next_action_at: datetime | None = None) -> OutcomeOut:
    outcome = interaction.outcome.value if interaction.outcome is not None else ""
    return OutcomeOut(
        interaction.id,
        interaction.case_id,
        outcome,
        interaction.note,
        interaction.next_action_on,
        interaction.created_at,
        channel=interaction.channel.value,
        next_action_at=next_action_at,
    )


ERROR_DESCRIPTIONS = {
    400: "The request does not match the documented schema, or a query parameter has an unknown value",
    401: "The bearer token is missing, invalid or expired",
    403: "The token's user lacks the role the endpoint needs",
    404: "No such record among the clients the token's user works on",
    409: "The record's current state does not allow the change, for example another user's live claim on the case",
    422: "A value fails validation; `fields` names each one",
}


def error_responses(*status_codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error statuses a handler can return, all with the ErrorBody shape."""
    codes = (401, *status_codes)
    return {code: ResponseSpec(data_container=ErrorBody, description=ERROR_DESCRIPTIONS[code]) for code in codes}
