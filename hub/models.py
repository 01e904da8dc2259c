"""Import every model module so that ``Base.metadata`` knows all tables."""

from hub.accounts.models import Role, User, user_client
from hub.accounts.tokens import ApiToken
from hub.cases.models import Case, CaseStatus, Segment
from hub.clients.models import Client
from hub.db import Base
from hub.debtors.models import Debtor
from hub.disputes.models import Dispute, DisputeStatus
from hub.interactions.models import CallOutcome, Channel, Direction, Interaction
from hub.invoices.models import Invoice, Payment

__all__ = [
    "ApiToken",
    "Base",
    "CallOutcome",
    "Case",
    "CaseStatus",
    "Channel",
    "Client",
    "Debtor",
    "Direction",
    "Dispute",
    "DisputeStatus",
    "Interaction",
    "Invoice",
    "Payment",
    "Role",
    "Segment",
    "User",
    "user_client",
]
