"""Every admin route. Each one is guarded by requires_admin, so agents and supervisors get 403."""

from __future__ import annotations

from hub.admin.clients import CLIENT_ROUTES
from hub.admin.users import USER_ROUTES

ROUTES = [*USER_ROUTES, *CLIENT_ROUTES]
