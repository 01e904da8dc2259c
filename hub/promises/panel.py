"""Context of the case workspace's promise panel (templates/promises/_panel.html)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.cases.workspace import Workspace


async def promise_panel(session: AsyncSession, workspace: Workspace, user: User) -> dict[str, Any]:
    """Return the values templates/promises/_panel.html reads under ``promises``."""
    return {}
