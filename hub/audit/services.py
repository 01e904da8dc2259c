"""Writing the audit log: one insert per audited action, ids only."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.audit.models import AuditEvent
from hub.cases.models import Case
from hub.errors import ValidationError
from hub.interactions.models import Interaction

CASE_VIEWED = "case.viewed"
INTERACTION_CREATED = "interaction.created"
DEBTOR_EXPORTED = "debtor.exported"
DEBTOR_ERASED = "debtor.erased"
RETENTION_APPLIED = "retention.applied"
RETENTION_POLICY_CHANGED = "retention.policy_changed"
DISPUTE_OPENED = "dispute.opened"
DISPUTE_CHANGED = "dispute.changed"
DISPUTES_IMPORTED = "dispute.imported"
PROMISE_CREATED = "promise.created"
PROMISE_CANCELLED = "promise.cancelled"
# Set by evaluation against payments, so the actor is None.
PROMISE_STATUS_CHANGED = "promise.status_changed"
PAYMENT_RECORDED = "payment.recorded"
PAYMENT_ALLOCATED = "payment.allocated"
# Set when a payment arrives or by the daily job.
PAYMENT_CHECK_FOUND = "payment_check.found"
PAYMENT_CHECK_NOT_FOUND = "payment_check.not_found"
ACTIONS = (
    CASE_VIEWED,
    INTERACTION_CREATED,
    DEBTOR_EXPORTED,
    DEBTOR_ERASED,
    RETENTION_APPLIED,
    RETENTION_POLICY_CHANGED,
    DISPUTE_OPENED,
    DISPUTE_CHANGED,
    DISPUTES_IMPORTED,
    PROMISE_CREATED,
    PROMISE_CANCELLED,
    PROMISE_STATUS_CHANGED,
    PAYMENT_RECORDED,
    PAYMENT_ALLOCATED,
    PAYMENT_CHECK_FOUND,
    PAYMENT_CHECK_NOT_FOUND,
)
TARGET_TYPES = ("case", "interaction", "debtor", "client", "dispute", "promise", "payment")

DETAIL_MAX_KEYS = 12
# Codes such as "json", "request" or "retention". A code must start with a
# letter, so a phone number or an amount written as text is rejected. It
# may not contain "@" or spaces, so an email address or a full name is
# rejected too.
DETAIL_CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")

Actor = Scope | User | int | None


def actor_user_id(actor: Actor) -> int | None:
    """Return the user id behind ``actor``: a scope, a user, a bare id or None for a job."""
    if isinstance(actor, Scope):
        return actor.user_id
    if isinstance(actor, User):
        return actor.id
    return actor


def _valid_detail_value(value: Any) -> bool:
    if value is None or isinstance(value, bool | int):
        return True
    if isinstance(value, str):
        return DETAIL_CODE_PATTERN.match(value) is not None
    if isinstance(value, list):
        return all(isinstance(item, int) and not isinstance(item, bool) for item in value)
    return False


def check_detail(detail: dict[str, Any] | None) -> None:
    """Raise ValidationError unless ``detail`` holds only ids, counts, flags and short codes.

    NOTE: an integer is accepted whatever it counts, so keeping amounts out
    of the detail is up to the caller.
    """
    if detail is None:
        return
    if len(detail) > DETAIL_MAX_KEYS:
        raise ValidationError(f"audit detail has {len(detail)} keys: keep it to at most {DETAIL_MAX_KEYS}")
    for key, value in detail.items():
        if not DETAIL_CODE_PATTERN.match(key) or not _valid_detail_value(value):
            raise ValidationError(
                f"audit detail key {key!r} has an invalid name or value: "
                "use ids, counts, flags or lowercase codes, never personal data"
            )


async def record_audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: int | None,
    client_id: int | None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Insert one audit event and flush it; the caller commits with the change it audits."""
    if action not in ACTIONS:
        raise ValidationError(f"unknown audit action {action!r}: use one of {', '.join(ACTIONS)}")
    if target_type not in TARGET_TYPES:
        raise ValidationError(f"unknown audit target type {target_type!r}: use one of {', '.join(TARGET_TYPES)}")
    check_detail(detail)

    event = AuditEvent(
        user_id=actor_user_id(actor),
        client_id=client_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=detail,
    )
    session.add(event)
    await session.flush()
    return event


async def record_case_viewed(session: AsyncSession, actor: Actor, case: Case) -> None:
    """Record that ``actor`` opened the case workspace, and commit."""
    await record_audit(session, actor, CASE_VIEWED, "case", case.id, case.client_id, {"debtor_id": case.debtor_id})
    await session.commit()


async def record_interaction_created(session: AsyncSession, actor: Actor, interaction: Interaction) -> None:
    """Record a logged interaction, and commit.

    NOTE: the call outcome service commits the interaction first, so a
    failure between the two commits leaves an interaction without its event.
    """
    detail = {"case_id": interaction.case_id, "channel": interaction.channel.value}
    if interaction.outcome is not None:
        detail["outcome"] = interaction.outcome.value
    client_id = interaction.client_id
    await record_audit(session, actor, INTERACTION_CREATED, "interaction", interaction.id, client_id, detail)
    await session.commit()
