from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Date, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, CreatedAtMixin, StrEnumColumn


class Channel(enum.StrEnum):
    CALL = "call"
    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"
    NOTE = "note"


class Direction(enum.StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class CallOutcome(enum.StrEnum):
    """Standard call outcome codes."""

    RIGHT_PARTY_CONTACT = "right_party_contact"
    WRONG_PARTY = "wrong_party"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    REFUSED_TO_PAY = "refused_to_pay"
    PROMISE_TO_PAY = "promise_to_pay"
    DISPUTES_DEBT = "disputes_debt"
    ALREADY_PAID = "already_paid"
    CALL_BACK_REQUESTED = "call_back_requested"

    @property
    def label(self) -> str:
        return CALL_OUTCOME_LABELS[self]


CALL_OUTCOME_LABELS = {
    CallOutcome.RIGHT_PARTY_CONTACT: "Right-party contact",
    CallOutcome.WRONG_PARTY: "Wrong party",
    CallOutcome.NO_ANSWER: "No answer",
    CallOutcome.VOICEMAIL: "Voicemail",
    CallOutcome.REFUSED_TO_PAY: "Refused to pay",
    CallOutcome.PROMISE_TO_PAY: "Promise to pay",
    CallOutcome.DISPUTES_DEBT: "Disputes debt",
    CallOutcome.ALREADY_PAID: "Already paid",
    CallOutcome.CALL_BACK_REQUESTED: "Call back requested",
}


class Interaction(CreatedAtMixin, Base):
    """One contact with a debtor (call, message, letter or note) and its outcome."""

    __tablename__ = "interaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    channel: Mapped[Channel] = mapped_column(StrEnumColumn(Channel, 16))
    direction: Mapped[Direction] = mapped_column(StrEnumColumn(Direction, 16), default=Direction.OUTBOUND)
    outcome: Mapped[CallOutcome | None] = mapped_column(StrEnumColumn(CallOutcome, 32))
    note: Mapped[str | None] = mapped_column(Text())
    next_action_on: Mapped[date | None] = mapped_column(Date())
