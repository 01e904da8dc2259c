"""audit log, erasure and retention policy

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL rejects any UPDATE or DELETE of an audit event. TRUNCATE is not
# a row operation and stays possible for the table owner (the test suite
# empties tables that way); production roles should not be granted it.
# SQLite rejects UPDATE only, because the suite empties its tables with DELETE.
AUDIT_IMMUTABLE_FUNCTION = """
CREATE FUNCTION audit_event_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_event rows cannot be changed or deleted';
END;
$$ LANGUAGE plpgsql
"""
AUDIT_IMMUTABLE_TRIGGER = """
CREATE TRIGGER audit_event_immutable
BEFORE UPDATE OR DELETE ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_immutable()
"""

SQLITE_NO_UPDATE_TRIGGER = """
CREATE TRIGGER audit_event_immutable BEFORE UPDATE ON audit_event
BEGIN
    SELECT RAISE(ABORT, 'audit_event rows cannot be changed');
END
"""


def create_audit_event() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_user_id"), ["user_id"], unique=False)
        batch_op.create_index("ix_audit_event_client_at", ["client_id", "at"], unique=False)
        batch_op.create_index("ix_audit_event_target", ["target_type", "target_id"], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(AUDIT_IMMUTABLE_FUNCTION)
        op.execute(AUDIT_IMMUTABLE_TRIGGER)
    elif dialect == "sqlite":
        op.execute(SQLITE_NO_UPDATE_TRIGGER)


def create_retention_policy() -> None:
    op.create_table(
        "retention_policy",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("settled_case_years", sa.Integer(), nullable=False),
        sa.Column("unmatched_inbound_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_retention_policy_client_id_client"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_retention_policy")),
    )


def create_erasure() -> None:
    op.create_table(
        "erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum("request", "retention", name="erasurereason", native_enum=False, length=16),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_erasure_client_id_client"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["debtor_id"], ["debtor.id"], name=op.f("fk_erasure_debtor_id_debtor"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_erasure_user_id_user_account"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure")),
        sa.UniqueConstraint("debtor_id", name=op.f("uq_erasure_debtor_id")),
    )
    with op.batch_alter_table("erasure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasure_client_id"), ["client_id"], unique=False)


def upgrade() -> None:
    create_audit_event()
    create_retention_policy()
    create_erasure()


def downgrade() -> None:
    op.drop_table("erasure")
    op.drop_table("retention_policy")
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_immutable ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_immutable()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_immutable")
    op.drop_table("audit_event")
