"""Import every model module so that ``Base.metadata`` knows all tables."""

from hub.accounts.models import Role, User, user_client
from hub.accounts.tokens import ApiToken
from hub.audit.models import AuditEvent
from hub.cases.models import Case, CaseStatus, Segment
from hub.clients.models import Client
from hub.db import Base
from hub.debtors.models import Debtor
from hub.disputes.models import Dispute, DisputeInvoice, DisputeReason, DisputeStatus
from hub.interactions.models import CallOutcome, Channel, Direction, Interaction
from hub.invoices.models import Invoice, Payment, PaymentAllocation, PaymentSource
from hub.payments.models import PaymentCheck, PaymentCheckStatus
from hub.privacy.models import Erasure, ErasureReason, RetentionPolicy
from hub.promises.models import Frequency, Promise, PromiseInstalment, PromiseInvoice, PromiseStatus

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "CallOutcome",
    "Case",
    "CaseStatus",
    "Channel",
    "Client",
    "Debtor",
    "Direction",
    "Dispute",
    "DisputeInvoice",
    "DisputeReason",
    "DisputeStatus",
    "Erasure",
    "ErasureReason",
    "Frequency",
    "Interaction",
    "Invoice",
    "Payment",
    "PaymentAllocation",
    "PaymentCheck",
    "PaymentCheckStatus",
    "PaymentSource",
    "Promise",
    "PromiseInstalment",
    "PromiseInvoice",
    "PromiseStatus",
    "RetentionPolicy",
    "Role",
    "Segment",
    "User",
    "user_client",
]
