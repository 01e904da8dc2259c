"""Checks on free text typed by users before it reaches the database.

PostgreSQL rejects NUL in text columns, and other C0 control characters
(bell, escape, backspace) only garble notes and names on screen, so text
inputs reject them with a field error.
"""

from __future__ import annotations

import re

from hub.errors import ValidationError

# C0 controls and DEL; multi-line fields also accept tab, line feed and carriage return.
_SINGLE_LINE_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
_MULTI_LINE_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def find_control_character(value: str, *, multiline: bool = False) -> str | None:
    """Return the first control character in ``value`` that the field does not allow, or None."""
    pattern = _MULTI_LINE_CONTROLS if multiline else _SINGLE_LINE_CONTROLS
    match = pattern.search(value)
    return match.group() if match else None


def require_plain_text(field: str, label: str, value: str | None, *, multiline: bool = False) -> None:
    """Raise ValidationError on ``field`` when ``value`` contains a control character it does not allow."""
    character = find_control_character(value or "", multiline=multiline)
    if character is None:
        return
    allowed = " (tabs and line breaks are fine)" if multiline else ""
    message = (
        f"{label} contains the control character U+{ord(character):04X}, which is not allowed: remove it{allowed}."
    )
    raise ValidationError(message, {field: message})
