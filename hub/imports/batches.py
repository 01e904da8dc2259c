"""Write imported rows batch by batch, changing only the attributes whose values differ."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.errors import HubError

BATCH_SIZE_ROWS = 500

T = TypeVar("T")


class ImportBatchError(HubError):
    """A database error in one batch, which was rolled back before the import stopped."""

    status_code = 500


def assign_changed(instance: object, values: dict[str, Any]) -> bool:
    """Set each attribute whose value differs and return whether any did.

    Comparing first keeps a re-import of the same file free of UPDATE statements.
    """
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


async def write_in_batches(
    session: AsyncSession,
    items: Sequence[T],
    write_batch: Callable[[Sequence[T]], Awaitable[None]],
    line_of: Callable[[T], int],
    batch_size: int = BATCH_SIZE_ROWS,
) -> None:
    """Run ``write_batch`` on consecutive slices of ``items`` and commit after each one.

    Each batch is its own transaction: a database error rolls back the
    failing batch as a whole and stops the import, while the batches
    committed before it stay. Re-running the same import then skips what
    is already there, because every write is an upsert on the client's keys.
    """
    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]
        try:
            await write_batch(batch)
            await session.commit()
        except SQLAlchemyError as error:
            await session.rollback()
            raise _batch_error(error, line_of(batch[0]), line_of(batch[-1]), start) from error


def _batch_error(error: SQLAlchemyError, first_line: int, last_line: int, saved_rows: int) -> ImportBatchError:
    cause = getattr(error, "orig", None) or error
    detail = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
    return ImportBatchError(
        f"database error in the batch of lines {first_line}-{last_line} ({detail}). "
        f"That batch was rolled back, and the {saved_rows} accepted rows before it are saved. "
        "Fix the cause and run the same command again."
    )
