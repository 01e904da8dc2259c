"""Erasure of a debtor's personal data (GDPR right to erasure).

Personal data is removed or replaced: the debtor's name becomes
"[erased]", its email, phone and country are cleared, its reference
becomes the pseudonym "erased-<debtor id>", and the free-text notes of its
interactions and disputes (a dispute's note and resolution note) become
"[erased]".

Financial records are kept, because bookkeeping law requires them for
years and GDPR art. 17(3)(b) allows that. They are the invoices and
payments with their numbers, amounts, currencies and dates, the case with
its balance and risk score, dispute reason codes and statuses, and
interaction channels, outcomes and dates. None of these names the debtor
once the reference is replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.audit.services import DEBTOR_ERASED, Actor, actor_user_id, record_audit
from hub.cases.models import Case
from hub.debtors.models import Debtor
from hub.disputes.models import Dispute
from hub.errors import ValidationError
from hub.interactions.models import Interaction
from hub.invoices.models import Invoice
from hub.privacy.lookup import get_debtor_in_scope, get_erasure
from hub.privacy.models import Erasure, ErasureReason

ERASED_TEXT = "[erased]"
PSEUDONYM_PREFIX = "erased-"


@dataclass(frozen=True)
class ErasureResult:
    debtor_id: int
    client_id: int
    erased_at: datetime
    reason: ErasureReason
    already_erased: bool
    interaction_notes: int = 0
    dispute_notes: int = 0


def pseudonym(debtor_id: int) -> str:
    return f"{PSEUDONYM_PREFIX}{debtor_id}"


def _result(erasure: Erasure, already_erased: bool, notes: tuple[int, int] = (0, 0)) -> ErasureResult:
    return ErasureResult(
        erasure.debtor_id, erasure.client_id, erasure.erased_at, erasure.reason, already_erased, *notes
    )


async def _erase_interaction_notes(session: AsyncSession, debtor: Debtor) -> int:
    debtor_cases = select(Case.id).where(Case.client_id == debtor.client_id, Case.debtor_id == debtor.id)
    statement = (
        update(Interaction)
        .where(
            Interaction.client_id == debtor.client_id,
            Interaction.case_id.in_(debtor_cases),
            Interaction.note.is_not(None),
        )
        .values(note=ERASED_TEXT)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).rowcount  # type: ignore[attr-defined,no-any-return]


async def _erase_dispute_notes(session: AsyncSession, debtor: Debtor) -> int:
    """Replace the note and resolution note of the debtor's disputes; return how many disputes had either."""
    has_note = or_(Dispute.note.is_not(None), Dispute.resolution_note.is_not(None))
    statement = (
        update(Dispute)
        .where(Dispute.client_id == debtor.client_id, Dispute.debtor_id == debtor.id, has_note)
        .values(
            note=case((Dispute.note.is_(None), None), else_=ERASED_TEXT),
            resolution_note=case((Dispute.resolution_note.is_(None), None), else_=ERASED_TEXT),
        )
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).rowcount  # type: ignore[attr-defined,no-any-return]


def _anonymise_fields(debtor: Debtor) -> None:
    debtor.name = ERASED_TEXT
    debtor.email = None
    debtor.phone = None
    debtor.country_code = None
    debtor.reference = pseudonym(debtor.id)


async def anonymise_debtor(session: AsyncSession, debtor: Debtor, actor: Actor, reason: ErasureReason) -> ErasureResult:
    """Erase the debtor's personal data, store the erasure and its audit event; the caller commits.

    A debtor erased before is left as it is, with ``already_erased`` set in the result.
    """
    existing = await get_erasure(session, debtor)
    if existing is not None:
        return _result(existing, already_erased=True)

    notes = (await _erase_interaction_notes(session, debtor), await _erase_dispute_notes(session, debtor))
    _anonymise_fields(debtor)
    erasure = Erasure(client_id=debtor.client_id, debtor_id=debtor.id, user_id=actor_user_id(actor), reason=reason)
    session.add(erasure)
    await session.flush()
    detail = {"reason": reason.value, "interaction_notes": notes[0], "dispute_notes": notes[1]}
    await record_audit(session, actor, DEBTOR_ERASED, "debtor", debtor.id, debtor.client_id, detail)
    return _result(erasure, already_erased=False, notes=notes)


def check_confirmation(debtor: Debtor, confirmation: str) -> None:
    """Raise ValidationError unless ``confirmation`` is the debtor's reference."""
    if confirmation.strip() != debtor.reference:
        message = f"the reference typed does not match debtor {debtor.id}: type {debtor.reference!r} exactly"
        raise ValidationError(message, {"confirm_reference": message})


async def erase_debtor_on_request(
    session: AsyncSession, scope: Scope, actor: Actor, debtor_id: int, confirmation: str
) -> ErasureResult:
    """Erase a debtor in ``scope`` once ``confirmation`` matches its reference, and commit.

    Erasing an erased debtor changes nothing and needs no confirmation.
    """
    debtor = await get_debtor_in_scope(session, scope, debtor_id)
    existing = await get_erasure(session, debtor)
    if existing is not None:
        return _result(existing, already_erased=True)
    check_confirmation(debtor, confirmation)

    result = await anonymise_debtor(session, debtor, actor, ErasureReason.REQUEST)
    await session.commit()
    return result


async def count_open_invoices(session: AsyncSession, debtor: Debtor) -> int:
    query = select(func.count(Invoice.id)).where(
        Invoice.client_id == debtor.client_id, Invoice.debtor_id == debtor.id, Invoice.open_minor != 0
    )
    return await session.scalar(query) or 0
