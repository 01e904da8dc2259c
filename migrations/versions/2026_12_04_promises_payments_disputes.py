"""promises to pay, payment allocations, payment checks and disputes on several invoices

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 18:30:12

A dispute now covers its invoices through dispute_invoice; the old
dispute.invoice_id values move there before the column is dropped.
Existing payments came from settled dates of imported invoices, so their
source is "settlement".
"""

from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

import hub.db

DEFAULT_DISPUTE_SLA_DAYS = 10

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_payment_allocation_client_id_client"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_payment_allocation_invoice_id_invoice"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_payment_allocation_payment_id_payment"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_allocation")),
        sa.UniqueConstraint("payment_id", "invoice_id", name=op.f("uq_payment_allocation_payment_id_invoice_id")),
    )
    with op.batch_alter_table("payment_allocation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_allocation_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_allocation_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "payment_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("open", "found", "not_found", name="paymentcheckstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("claimed_paid_on", sa.Date(), nullable=True),
        sa.Column("claimed_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("claimed_reference", sa.String(length=64), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", hub.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_payment_check_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_payment_check_client_id_client"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_payment_check_interaction_id_interaction"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_payment_check_payment_id_payment"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_check")),
    )
    with op.batch_alter_table("payment_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_check_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_check_client_id"), ["client_id"], unique=False)

    op.create_table(
        "promise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column(
            "frequency",
            sa.Enum("weekly", "fortnightly", "monthly", name="frequency", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "kept", "partly_kept", "broken", "cancelled", name="promisestatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("status_changed_at", hub.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_on_time_minor", sa.BigInteger(), nullable=False),
        sa.Column("due_minor", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_promise_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_promise_client_id_client"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_promise_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["debtor_id"], ["debtor.id"], name=op.f("fk_promise_debtor_id_debtor"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_promise_interaction_id_interaction"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promise")),
    )
    with op.batch_alter_table("promise", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promise_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_promise_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_promise_debtor_id"), ["debtor_id"], unique=False)

    op.create_table(
        "dispute_invoice",
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_dispute_invoice_client_id_client"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["dispute.id"], name=op.f("fk_dispute_invoice_dispute_id_dispute"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_dispute_invoice_invoice_id_invoice"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("dispute_id", "invoice_id", name=op.f("pk_dispute_invoice")),
    )
    with op.batch_alter_table("dispute_invoice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispute_invoice_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dispute_invoice_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "promise_instalment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("promise_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_on_time_minor", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "kept", "partly_kept", "broken", "cancelled", name="promisestatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_promise_instalment_client_id_client"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["promise_id"], ["promise.id"], name=op.f("fk_promise_instalment_promise_id_promise"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promise_instalment")),
        sa.UniqueConstraint("promise_id", "sequence", name=op.f("uq_promise_instalment_promise_id_sequence")),
    )
    with op.batch_alter_table("promise_instalment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promise_instalment_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_promise_instalment_due_on"), ["due_on"], unique=False)

    op.create_table(
        "promise_invoice",
        sa.Column("promise_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_promise_invoice_client_id_client"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_promise_invoice_invoice_id_invoice"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["promise_id"], ["promise.id"], name=op.f("fk_promise_invoice_promise_id_promise"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("promise_id", "invoice_id", name=op.f("pk_promise_invoice")),
    )
    with op.batch_alter_table("promise_invoice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promise_invoice_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_promise_invoice_invoice_id"), ["invoice_id"], unique=False)

    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_action_at", hub.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("broken_promise_on", sa.Date(), nullable=True))

    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promise_grace_days", sa.Integer(), nullable=False, server_default="3"))
        batch_op.add_column(sa.Column("dispute_sla_days", sa.Integer(), nullable=False, server_default="10"))

    with op.batch_alter_table("debtor", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unusable_phone", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("unusable_phone_at", hub.db.UTCDateTime(timezone=True), nullable=True))

    op.execute(
        "INSERT INTO dispute_invoice (dispute_id, invoice_id, client_id) SELECT id, invoice_id, client_id FROM dispute"
    )

    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("interaction_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sla_due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", hub.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolution_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("credited_minor", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.drop_index(batch_op.f("ix_dispute_invoice_id"))
        batch_op.create_index(batch_op.f("ix_dispute_owner_id"), ["owner_id"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_dispute_client_id_reference"), ["client_id", "reference"])
        batch_op.drop_constraint(batch_op.f("fk_dispute_invoice_id_invoice"), type_="foreignkey")
        batch_op.create_foreign_key(
            batch_op.f("fk_dispute_resolved_by_id_user_account"),
            "user_account",
            ["resolved_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_dispute_interaction_id_interaction"),
            "interaction",
            ["interaction_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_dispute_owner_id_user_account"), "user_account", ["owner_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.drop_column("invoice_id")

    _fill_dispute_sla_dates()

    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paid_minor", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("credited_minor", sa.BigInteger(), nullable=False, server_default="0"))

    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source",
                sa.Enum("settlement", "import", "api", name="paymentsource", native_enum=False, length=16),
                nullable=False,
                server_default="settlement",
            )
        )
        batch_op.add_column(sa.Column("invoice_reference", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("unallocated_minor", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("unallocated_reason", sa.String(length=300), nullable=True))
        batch_op.alter_column("debtor_id", existing_type=sa.INTEGER(), nullable=True)


def add_working_days(start: date, days: int) -> date:
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _fill_dispute_sla_dates() -> None:
    """Give every existing dispute its resolve-by day: opening day plus the default SLA in working days."""
    connection = op.get_bind()
    dispute = sa.table(
        "dispute",
        sa.column("id", sa.Integer()),
        sa.column("opened_at", hub.db.UTCDateTime()),
        sa.column("sla_due_on", sa.Date()),
    )
    rows = connection.execute(sa.select(dispute.c.id, dispute.c.opened_at)).all()
    for dispute_id, opened_at in rows:
        due = add_working_days(opened_at.date(), DEFAULT_DISPUTE_SLA_DAYS)
        connection.execute(sa.update(dispute).where(dispute.c.id == dispute_id).values(sla_due_on=due))


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.alter_column("debtor_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("unallocated_reason")
        batch_op.drop_column("unallocated_minor")
        batch_op.drop_column("invoice_reference")
        batch_op.drop_column("source")

    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_column("credited_minor")
        batch_op.drop_column("paid_minor")

    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invoice_id", sa.INTEGER(), nullable=True))
        batch_op.drop_constraint(batch_op.f("fk_dispute_owner_id_user_account"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_dispute_interaction_id_interaction"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_dispute_resolved_by_id_user_account"), type_="foreignkey")
        batch_op.create_foreign_key(
            batch_op.f("fk_dispute_invoice_id_invoice"), "invoice", ["invoice_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.drop_constraint(batch_op.f("uq_dispute_client_id_reference"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_dispute_owner_id"))
        batch_op.create_index(batch_op.f("ix_dispute_invoice_id"), ["invoice_id"], unique=False)
        batch_op.drop_column("credited_minor")
        batch_op.drop_column("resolution_note")
        batch_op.drop_column("resolved_by_id")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("sla_due_on")
        batch_op.drop_column("owner_id")
        batch_op.drop_column("interaction_id")
        batch_op.drop_column("reference")

    # A dispute on several invoices keeps its first one; disputes without invoices go.
    op.execute(
        "UPDATE dispute SET invoice_id = "
        "(SELECT min(invoice_id) FROM dispute_invoice WHERE dispute_invoice.dispute_id = dispute.id)"
    )
    op.execute("DELETE FROM dispute WHERE invoice_id IS NULL")
    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.alter_column("invoice_id", existing_type=sa.INTEGER(), nullable=False)

    with op.batch_alter_table("debtor", schema=None) as batch_op:
        batch_op.drop_column("unusable_phone_at")
        batch_op.drop_column("unusable_phone")

    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_column("dispute_sla_days")
        batch_op.drop_column("promise_grace_days")

    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_column("broken_promise_on")
        batch_op.drop_column("next_action_at")

    with op.batch_alter_table("promise_invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promise_invoice_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_promise_invoice_client_id"))

    op.drop_table("promise_invoice")
    with op.batch_alter_table("promise_instalment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promise_instalment_due_on"))
        batch_op.drop_index(batch_op.f("ix_promise_instalment_client_id"))

    op.drop_table("promise_instalment")
    with op.batch_alter_table("dispute_invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispute_invoice_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_dispute_invoice_client_id"))

    op.drop_table("dispute_invoice")
    with op.batch_alter_table("promise", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promise_debtor_id"))
        batch_op.drop_index(batch_op.f("ix_promise_client_id"))
        batch_op.drop_index(batch_op.f("ix_promise_case_id"))

    op.drop_table("promise")
    with op.batch_alter_table("payment_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_check_client_id"))
        batch_op.drop_index(batch_op.f("ix_payment_check_case_id"))

    op.drop_table("payment_check")
    with op.batch_alter_table("payment_allocation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_allocation_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_payment_allocation_client_id"))

    op.drop_table("payment_allocation")
