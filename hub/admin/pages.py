"""Page plumbing shared by the admin screens: one-time messages and form responses."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from hub.web.htmx import is_htmx, render

FLASH_KEY = "admin_flash"
NEW_PASSWORD_KEY = "admin_new_password"
# The page that shows a generated password must not be stored by the browser or a proxy.
NO_STORE_HEADERS = {"Cache-Control": "no-store"}


def set_flash(request: Request[Any, Any, Any], message: str) -> None:
    """Keep ``message`` in the session until the next admin page shows it."""
    request.set_session({**request.session, FLASH_KEY: message})


def pop_flash(request: Request[Any, Any, Any]) -> str | None:
    return request.session.pop(FLASH_KEY, None)


def remember_new_password(request: Request[Any, Any, Any], user_id: int, password: str) -> None:
    """Keep a generated password in the encrypted session cookie until the user's page shows it once."""
    request.set_session({**request.session, NEW_PASSWORD_KEY: {"user_id": user_id, "password": password}})


def pop_new_password(request: Request[Any, Any, Any], user_id: int) -> str | None:
    stored = request.session.get(NEW_PASSWORD_KEY)
    if not isinstance(stored, dict) or stored.get("user_id") != user_id:
        return None
    request.session.pop(NEW_PASSWORD_KEY, None)
    return str(stored["password"])


def render_form(
    request: Request[Any, Any, Any], page: str, fragment: str, context: dict[str, Any], status_code: int
) -> Template:
    """Render ``fragment`` alone for htmx (it replaces the form in place), else the whole ``page``."""
    template = fragment if is_htmx(request) else page
    return render(template, context, status_code=status_code)
