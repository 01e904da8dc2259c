"""Read a CSV export into a header and rows, whatever its encoding, BOM and delimiter."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from hub.errors import NotFoundError, ValidationError
from hub.imports.mapping import Mapping

CANDIDATE_DELIMITERS = ",;\t|"
SNIFF_SAMPLE_CHARS = 64 * 1024
# Encodings tried in order for encoding = "auto". Excel's plain "CSV" on Western Windows systems is windows-1252.
AUTO_ENCODINGS = ("utf-8-sig", "windows-1252")
# Largest CSV field the reader accepts (the csv module's default is 128 KiB). A longer
# mapped cell is rejected row by row; a field beyond this usually comes from an unclosed quote.
MAX_FIELD_CHARS = 16 * 1024 * 1024


@dataclass(frozen=True)
class CsvRow:
    """One record and the physical line it starts on (the header is line 1)."""

    line: int
    values: list[str]


@dataclass(frozen=True)
class CsvTable:
    path: Path
    encoding: str
    delimiter: str
    header: list[str]
    rows: list[CsvRow]


def read_table(path: Path, mapping: Mapping) -> CsvTable:
    """Decode and split the file at ``path`` as ``mapping`` sets, detecting what it leaves on auto."""
    if not path.is_file():
        raise NotFoundError(f"file {str(path)!r} not found: check the path")

    text, encoding = _decode(path.read_bytes(), mapping)
    # A BOM must never become part of the first column's name.
    text = text.removeprefix("\ufeff")
    delimiter = mapping.delimiter or detect_delimiter(text)
    header, rows = _split_records(path, text, delimiter)
    return CsvTable(path=path, encoding=encoding, delimiter=delimiter, header=header, rows=rows)


def _decode(data: bytes, mapping: Mapping) -> tuple[str, str]:
    encodings = AUTO_ENCODINGS if mapping.encoding == "auto" else (mapping.encoding,)
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as error:
            failure = error
            if mapping.encoding == "auto" and encoding == "utf-8-sig":
                _reject_mixed_encodings(data)
            continue
        return text, encoding
    raise ValidationError(
        f"cannot decode the file as {' or '.join(encodings)} (byte {failure.object[failure.start]:#04x} "
        f"at offset {failure.start}): set encoding in the mapping to the file's encoding"
    )


def _reject_mixed_encodings(data: bytes) -> None:
    """Raise ValidationError when some lines are UTF-8 with non-ASCII text and others are not UTF-8.

    Such a file comes from pasting rows of two exports together. Decoding it
    all as windows-1252 would garble the UTF-8 rows ('José' as 'JosÃ©').
    """
    has_utf8_text = False
    first_invalid = None
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError:
            first_invalid = first_invalid or number
            continue
        has_utf8_text = has_utf8_text or not decoded.isascii()
    if has_utf8_text and first_invalid is not None:
        raise ValidationError(
            f"the file mixes UTF-8 and another encoding: line {first_invalid} is not UTF-8 but earlier or later "
            "lines are. Re-save the file as UTF-8, or set encoding in the mapping to the encoding of every line"
        )


def detect_delimiter(text: str) -> str:
    """Return the delimiter among , ; tab | that csv.Sniffer finds, checked against the header line."""
    sample = text[:SNIFF_SAMPLE_CHARS]
    header_line = sample.splitlines()[0] if sample else ""
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=CANDIDATE_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed and sniffed in header_line:
        return sniffed

    counts = {delimiter: header_line.count(delimiter) for delimiter in CANDIDATE_DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _split_records(path: Path, text: str, delimiter: str) -> tuple[list[str], list[CsvRow]]:
    default_limit = csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        return _read_records(path, text, delimiter)
    finally:
        csv.field_size_limit(default_limit)


def _read_records(path: Path, text: str, delimiter: str) -> tuple[list[str], list[CsvRow]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[CsvRow] = []
    line = 1
    try:
        for values in reader:
            start, line = line, reader.line_num + 1
            if not any(value.strip() for value in values):
                continue
            if header is None:
                header = [value.strip() for value in values]
            else:
                rows.append(CsvRow(line=start, values=values))
    except csv.Error as error:
        raise ValidationError(
            f"cannot read {path} near line {reader.line_num}: {error}. {_csv_error_hint(error)}"
        ) from None
    if header is None:
        raise ValidationError(f"file {str(path)!r} is empty: expected a header line and rows")
    _check_header(path, header)
    return header, rows


def _csv_error_hint(error: csv.Error) -> str:
    if "field limit" in str(error):
        return (
            f"A field of more than {MAX_FIELD_CHARS} characters usually starts at a quote that is never closed: "
            "check the quotes on and before that line"
        )
    return "Check the quotes and delimiters on that line"


def _check_header(path: Path, header: list[str]) -> None:
    for column in header:
        if any(ord(character) < 32 or ord(character) == 127 for character in column):
            raise ValidationError(
                f"the header of {path} has a control character in column {column!r}: remove it from the file"
            )
