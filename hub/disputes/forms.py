"""Reading the dispute forms of the workspace and the dispute page into service arguments."""

from __future__ import annotations

from typing import Any

from litestar import Request

from hub.disputes.models import DisputeStatus
from hub.disputes.services import DisputeChange, clean_resolution_note
from hub.errors import ValidationError
from hub.imports.parsing import NumberFormat, RowError, parse_amount
from hub.text import require_plain_text
from hub.web.ids import is_row_id

# The resolve form's outcome choices and the status each one sets.
RESOLUTIONS = {"debtor": DisputeStatus.RESOLVED_DEBTOR, "creditor": DisputeStatus.RESOLVED_CREDITOR}
# Amounts typed on the page: a decimal point or comma, and no thousands separator to misread.
TYPED_AMOUNT_FORMATS = (NumberFormat(".", ""), NumberFormat(",", ""))


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(message, {field: message})


async def read_dispute_form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Return the workspace dispute form's values, with every checked invoice number."""
    form = await request.form()
    values: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in ("reason", "channel", "note")}
    values["invoices"] = [str(number).strip() for number in form.getall("invoices", []) if str(number).strip()]
    return values


async def read_fields(request: Request[Any, Any, Any], names: tuple[str, ...]) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name, "")).strip() for name in names}


def parse_credit(text: str, currency: str) -> int | None:
    """Return a typed credit such as ``125.50`` in minor units of ``currency``; None for an empty field."""
    require_plain_text("credit", "Credit", text)
    if not text:
        return None
    for number_format in TYPED_AMOUNT_FORMATS:
        try:
            return parse_amount(text, number_format, currency)
        except RowError:
            continue
    raise _invalid("credit", f"Invalid credit {text!r}: type an amount such as 125.50, or leave it empty.")


def parse_owner_id(text: str) -> int:
    require_plain_text("owner", "Owner", text)
    if not text.isdigit() or not is_row_id(int(text)):
        raise _invalid("owner", f"Invalid owner {text!r}: pick a user from the list.")
    return int(text)


def resolve_change(values: dict[str, str], currency: str) -> DisputeChange:
    """Turn the resolve form (outcome, credit, resolution_note) into a change; raise ValidationError per field."""
    outcome = values.get("outcome", "")
    require_plain_text("outcome", "Outcome", outcome)
    if outcome not in RESOLUTIONS:
        raise _invalid("outcome", "Pick who the dispute is resolved for: the debtor or the creditor.")
    credit = parse_credit(values.get("credit", ""), currency)
    if credit is not None and outcome != "debtor":
        raise _invalid("credit", "A credit applies only when the dispute is resolved for the debtor: clear the credit.")
    note = clean_resolution_note(values.get("resolution_note"))
    return DisputeChange(status=RESOLUTIONS[outcome], credit_minor=credit, resolution_note=note)
