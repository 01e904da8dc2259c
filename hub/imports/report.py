"""The counts of one import run and the report of its rejected rows."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from hub.imports.reader import CsvRow

REPORT_FOLDER = Path("var") / "imports"


class Outcome(StrEnum):
    """Effect of one accepted row on the database."""

    INSERTED = "inserted"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str
    values: list[str]


@dataclass
class ImportSummary:
    """Row counts of one run. Every row read is inserted, updated, unchanged, rejected or not yet issued."""

    kind: str
    client: str
    file: str
    as_of: date | None = None
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    not_yet_issued: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    # Accepted rows with a contact value left out, listed in the report beside the rejected rows.
    warnings: list[RejectedRow] = field(default_factory=list)
    report: Path | None = None

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    def reject(self, row: CsvRow, reason: str) -> None:
        self.rejected.append(RejectedRow(line=row.line, reason=reason, values=row.values))

    def warn(self, row: CsvRow, reasons: tuple[str, ...]) -> None:
        for reason in reasons:
            self.warnings.append(RejectedRow(line=row.line, reason=f"warning: {reason}", values=row.values))

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "client": self.client,
            "file": self.file,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "not_yet_issued": self.not_yet_issued,
            "warnings": len(self.warnings),
            "report": str(self.report) if self.report else None,
        }

    def as_text(self) -> str:
        counts = self.as_dict()
        names = ("read", "inserted", "updated", "unchanged", "rejected")
        if self.kind == "invoices":
            names = (*names, "not_yet_issued")
        if self.warnings:
            names = (*names, "warnings")
        line = ", ".join(f"{name} {counts[name]}" for name in names)
        verdict = "" if self.changed else "; nothing changed"
        return f"{self.kind} from {self.file} into client {self.client}: {line}{verdict}"


def default_report_path(source: Path, now: datetime | None = None) -> Path:
    """Return var/imports/<file stem>-<UTC timestamp>.rejected.csv under the working directory."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return REPORT_FOLDER / f"{source.stem}-{stamp}.rejected.csv"


def write_rejected_report(summary: ImportSummary, header: list[str], path: Path) -> Path | None:
    """Write the rejected rows and the warnings with line number and reason to ``path``, or nothing without either."""
    if not summary.rejected and not summary.warnings:
        return None
    listed = sorted((*summary.rejected, *summary.warnings), key=lambda row: row.line)

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "reason", *header])
        for row in listed:
            writer.writerow([row.line, row.reason, *row.values])
    summary.report = path
    return path
