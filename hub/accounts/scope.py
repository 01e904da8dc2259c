"""The set of clients a caller may read and change.

Every service that touches client data takes a Scope and filters by
``client_ids``; a record outside it is reported as not found.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    client_ids: frozenset[int]
    user_id: int | None = None

    @classmethod
    def for_client(cls, client_id: int, user_id: int | None = None) -> Scope:
        return cls(client_ids=frozenset({client_id}), user_id=user_id)

    def allows(self, client_id: int) -> bool:
        return client_id in self.client_ids
