"""Reading the promise form of the workspace: typed amounts, dates and counts into PromiseTerms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_precision, get_currency_symbol

from hub.errors import ValidationError
from hub.promises.models import Frequency
from hub.promises.schedule import MAX_INSTALMENTS, check_first_due_on, check_instalment_count
from hub.promises.services import PromiseTerms
from hub.text import require_plain_text
from hub.web.templating import UI_LOCALE

# The range of the BIGINT money columns.
MAX_MINOR_UNITS = 2**63 - 1
# Explicit instalment amounts are separated by semicolons or line breaks, since a comma may be a decimal comma.
AMOUNT_LIST_SEPARATOR = re.compile(r"[;\n]")
PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")
TEXT_FIELDS = ("amount", "first_due_on", "instalments", "frequency", "amounts", "channel", "note")
DEFAULT_VALUES = {"instalments": "1", "frequency": Frequency.MONTHLY.value, "channel": "call"}


@dataclass
class PromiseForm:
    """The submitted form: the text of each field as typed, the chosen invoices and the confirmation."""

    values: dict[str, str] = field(default_factory=dict)
    invoices: list[str] = field(default_factory=list)
    confirm_above_balance: bool = False


def read_promise_form(form: Any) -> PromiseForm:
    """Return the fields of a submitted promise form (a multi-dict), stripped of surrounding spaces."""
    values = {name: str(form.get(name, "") or "").strip() for name in TEXT_FIELDS}
    invoices = [str(value).strip() for value in form.getall("invoices", []) if str(value).strip()]
    confirmed = str(form.get("confirm_above_balance", "")).strip() in {"1", "on", "true", "yes"}
    return PromiseForm(values, invoices, confirmed)


def _strip_currency(text: str, currency: str) -> str:
    stripped = text.replace("\u00a0", " ").replace("\u202f", " ").strip()
    for mark in (currency, currency.lower(), get_currency_symbol(currency, locale=UI_LOCALE), "€", "$", "£"):
        stripped = stripped.removeprefix(mark).removesuffix(mark).strip()
    return stripped.replace(" ", "").replace("'", "")


def _normalise_separators(text: str) -> str:
    """Return ``text`` with "." as the only decimal separator and no thousands separators.

    With both "." and "," the one written last is the decimal separator.
    A separator that occurs several times separates thousands. So does a
    lone one followed by exactly three digits, so "1,000" and "1.000" are
    one thousand. Any other lone separator is the decimal one ("300,5").
    Thousands separators count only between groups of three digits after
    a first group of one to three digits ("1.234.567"). Other separators
    stay in the text, so parse_money rejects the amount ("12,5,0", "0,001").
    """
    if "." in text and "," in text:
        decimal = "." if text.rindex(".") > text.rindex(",") else ","
        group = "," if decimal == "." else "."
        whole, _, fraction = text.rpartition(decimal)
        return f"{_ungroup(whole, group)}.{fraction}"
    for separator in (".", ","):
        if separator not in text:
            continue
        if text.count(separator) > 1 or len(text) - text.rindex(separator) - 1 == 3:
            return _ungroup(text, separator)
        return text.replace(separator, ".")
    return text


def _ungroup(whole: str, separator: str) -> str:
    """Return ``whole`` without its thousands separators when they separate groups of three digits."""
    if re.fullmatch(rf"[1-9]\d{{0,2}}(?:{re.escape(separator)}\d{{3}})+", whole):
        return whole.replace(separator, "")
    return whole


def parse_money(text: str, currency: str, *, field_name: str, label: str) -> int:
    """Parse an amount typed in ``currency`` ("300", "300.00", "300,00", "1.234,56") into minor units."""
    example = "300 or 300,00" if get_currency_precision(currency) else "300"
    require_plain_text(field_name, label, text)
    if not text.strip():
        raise ValidationError(
            f"{label} is missing: type it in {currency}, for example {example}.",
            {field_name: f"{label} is missing: type it in {currency}, for example {example}."},
        )
    cleaned = _normalise_separators(_strip_currency(text, currency))
    if cleaned.startswith("-"):
        message = f"{label} {text!r} is below zero: enter an amount above zero."
        raise ValidationError(message, {field_name: message})
    if not PLAIN_NUMBER.fullmatch(cleaned):
        message = f"Invalid {label.lower()} {text!r}: type an amount in {currency}, for example {example}."
        raise ValidationError(message, {field_name: message})
    exponent = get_currency_precision(currency)
    fraction = cleaned.partition(".")[2]
    if len(fraction) > exponent:
        message = f"{label} {text!r} has more decimals than {currency} allows ({exponent}): round it."
        raise ValidationError(message, {field_name: message})
    minor = int(Decimal(cleaned).scaleb(exponent))
    if minor > MAX_MINOR_UNITS:
        message = f"{label} {text!r} is too large: check the number of digits."
        raise ValidationError(message, {field_name: message})
    return minor


def parse_money_list(text: str, currency: str) -> list[int]:
    """Parse explicit instalment amounts separated by semicolons or line breaks; empty text gives []."""
    parts = [part.strip() for part in AMOUNT_LIST_SEPARATOR.split(text) if part.strip()]
    return [
        parse_money(part, currency, field_name="amounts", label=f"Instalment {index} amount")
        for index, part in enumerate(parts, start=1)
    ]


def parse_first_due_on(text: str) -> date:
    require_plain_text("first_due_on", "First payment date", text)
    if not text:
        message = "First payment date is missing: pick the day the (first) payment is promised."
        raise ValidationError(message, {"first_due_on": message})
    try:
        return date.fromisoformat(text)
    except ValueError:
        message = f"Invalid first payment date {text!r}: use YYYY-MM-DD, for example 2026-12-31."
        raise ValidationError(message, {"first_due_on": message}) from None


def parse_instalments(text: str) -> int:
    require_plain_text("instalments", "Number of instalments", text)
    if not text:
        return 1
    if not text.isdigit() or len(text) > 6:
        message = f"Invalid number of instalments {text!r}: type a whole number from 1 to {MAX_INSTALMENTS}."
        raise ValidationError(message, {"instalments": message})
    return int(text)


def _checked_first_due_on(text: str, today: date | None) -> date:
    first_due_on = parse_first_due_on(text)
    return check_first_due_on(first_due_on, today) if today is not None else first_due_on


def form_terms(form: PromiseForm, currency: str, today: date | None = None) -> PromiseTerms:
    """Return the terms of a submitted form; raise one ValidationError listing every field that fails to parse.

    With ``today`` (client-local), the first date and the number of
    instalments are checked here too, so their errors show beside the others.
    """
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    parsers = {
        "amount": lambda: parse_money(form.values["amount"], currency, field_name="amount", label="Amount"),
        "first_due_on": lambda: _checked_first_due_on(form.values["first_due_on"], today),
        "instalments": lambda: check_instalment_count(parse_instalments(form.values["instalments"])),
        "amounts": lambda: parse_money_list(form.values["amounts"], currency),
    }
    for name, parser in parsers.items():
        try:
            parsed[name] = parser()
        except ValidationError as error:
            errors.update(error.field_errors or {name: str(error)})
    require_plain_text("frequency", "Frequency", form.values["frequency"])
    if errors:
        first = next(iter(errors.values()))
        raise ValidationError(first, errors)
    return PromiseTerms(
        amount_minor=parsed["amount"],
        first_due_on=parsed["first_due_on"],
        instalments=parsed["instalments"],
        frequency=form.values["frequency"] or None,
        amounts_minor=parsed["amounts"] or None,
        invoice_numbers=form.invoices,
        confirm_above_balance=form.confirm_above_balance,
    )
