"""Reading admin forms and collecting one error per field, so a form shows every problem at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from litestar import Request

from hub.errors import HubError, ValidationError

T = TypeVar("T")
FORM_ERROR_KEY = "form"


class FieldErrors:
    """Collects the message of each failed check under the name of the form field it belongs to."""

    def __init__(self) -> None:
        self.messages: dict[str, str] = {}

    def check(self, field: str, check: Callable[..., T], *args: Any) -> T | None:
        try:
            return check(*args)
        except HubError as error:
            self.messages.setdefault(field, str(error))
            return None

    async def check_async(self, field: str, check: Awaitable[T]) -> T | None:
        try:
            return await check
        except HubError as error:
            self.messages.setdefault(field, str(error))
            return None

    def raise_if_any(self) -> None:
        if self.messages:
            first = next(iter(self.messages.values()))
            raise ValidationError(first, dict(self.messages))


def errors_of(error: HubError) -> dict[str, str]:
    """Return the per-field messages of ``error``, or its message as a form-level error."""
    field_errors = getattr(error, "field_errors", None)
    return dict(field_errors) if field_errors else {FORM_ERROR_KEY: str(error)}


async def read_form(request: Request[Any, Any, Any], fields: tuple[str, ...]) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name, "")).strip() for name in fields}


async def read_choices(request: Request[Any, Any, Any], field: str) -> list[str]:
    """Return every non-empty value submitted under ``field`` (checkboxes and multi-selects)."""
    form = await request.form()
    return [str(value).strip() for value in form.getall(field, []) if str(value).strip()]


def parse_weight(raw: str) -> float:
    """Parse a priority weight typed into a form, such as ``0.5`` or ``2``."""
    if not raw:
        raise ValidationError("missing weight: enter 0 to ignore this factor")
    try:
        return float(raw)
    except ValueError:
        raise ValidationError(f"invalid weight {raw!r}: use a number such as 0.5") from None
