"""A dispute's resolve-by day: its opening day plus the client's SLA in working days.

Working days are Monday to Friday. NOTE: public holidays count as working days.
"""

from __future__ import annotations

from datetime import date, timedelta

WEEKEND = (5, 6)


def add_working_days(start: date, days: int) -> date:
    """Return the day ``days`` working days after ``start`` (``start`` itself not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() not in WEEKEND:
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Return the working days after ``start`` up to and including ``end``; negative when ``end`` is earlier."""
    if end < start:
        return -working_days_between(end, start)
    full_weeks, extra = divmod((end - start).days, 7)
    count = full_weeks * 5
    for offset in range(1, extra + 1):
        if (start + timedelta(days=offset)).weekday() not in WEEKEND:
            count += 1
    return count
