"""revoked session ids, so a cookie copied before sign-out stops working

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 17:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revoked_session",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_revoked_session_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_revoked_session")),
    )
    with op.batch_alter_table("revoked_session") as batch_op:
        batch_op.create_index(batch_op.f("ix_revoked_session_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_revoked_session_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_table("revoked_session")
