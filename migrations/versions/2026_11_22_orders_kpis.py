"""Orders, campaigns and spend; contacts' order rollups and acquisition campaign; KPI settings.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 09:54:45.176284+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "active",
                "paused",
                "completed",
                "cancelled",
                name="campaign_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "cost", sa.Numeric(19, 4).with_variant(sa.BigInteger(), "sqlite"), nullable=False
        ),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column(
            "cost_base", sa.Numeric(19, 4).with_variant(sa.BigInteger(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_campaigns_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("workspace_id", "id", name=op.f("uq_campaigns_workspace_id_id")),
    )
    op.create_index(
        op.f("ix_campaigns_workspace_id_channel"),
        "campaigns",
        ["workspace_id", "channel"],
        unique=False,
    )
    op.create_index(
        op.f("ix_campaigns_workspace_id_created_at_id"),
        "campaigns",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_campaigns_workspace_id_started_at_id"),
        "campaigns",
        ["workspace_id", "started_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_campaigns_workspace_id_status"),
        "campaigns",
        ["workspace_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_campaigns_workspace_id_updated_at_id"),
        "campaigns",
        ["workspace_id", "updated_at", "id"],
        unique=False,
    )
    op.create_table(
        "spend_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "marketing",
                "sales",
                name="spend_category",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "amount", sa.Numeric(19, 4).with_variant(sa.BigInteger(), "sqlite"), nullable=False
        ),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column(
            "amount_base", sa.Numeric(19, 4).with_variant(sa.BigInteger(), "sqlite"), nullable=False
        ),
        sa.Column("incurred_on", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_spend_entries_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_entries")),
    )
    op.create_index(
        op.f("ix_spend_entries_workspace_id_category_incurred_on"),
        "spend_entries",
        ["workspace_id", "category", "incurred_on"],
        unique=False,
    )
    op.create_index(
        op.f("ix_spend_entries_workspace_id_created_at_id"),
        "spend_entries",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_spend_entries_workspace_id_incurred_on_id"),
        "spend_entries",
        ["workspace_id", "incurred_on", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_spend_entries_workspace_id_updated_at_id"),
        "spend_entries",
        ["workspace_id", "updated_at", "id"],
        unique=False,
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "paid",
                "refunded",
                "cancelled",
                name="order_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column(
            "total", sa.Numeric(19, 4).with_variant(sa.BigInteger(), "sqlite"), nullable=False
        ),
        sa.Column(
            "total_base", sa.Numeric(19, 4).with_variant(sa.BigInteger(), "sqlite"), nullable=False
        ),
        sa.Column(
            "line_items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("previous_paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "contact_id"],
            ["contacts.workspace_id", "contacts.id"],
            name=op.f("fk_orders_workspace_id_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_orders_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint(
            "workspace_id", "external_id", name=op.f("uq_orders_workspace_id_external_id")
        ),
    )
    op.create_index(
        op.f("ix_orders_workspace_id_channel"), "orders", ["workspace_id", "channel"], unique=False
    )
    op.create_index(
        op.f("ix_orders_workspace_id_contact_id_ordered_at_id"),
        "orders",
        ["workspace_id", "contact_id", "ordered_at", "id"],
        unique=False,
        postgresql_include=["status", "total_base"],  # ignored by SQLite
    )
    op.create_index(
        op.f("ix_orders_workspace_id_created_at_id"),
        "orders",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_orders_workspace_id_ordered_at_id"),
        "orders",
        ["workspace_id", "ordered_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_orders_workspace_id_status_ordered_at_chain",
        "orders",
        [
            "workspace_id",
            "status",
            "ordered_at",
            "contact_id",
            "total_base",
            "previous_paid_at",
            "next_paid_at",
        ],
        unique=False,
    )
    op.create_index(
        op.f("ix_orders_workspace_id_updated_at_id"),
        "orders",
        ["workspace_id", "updated_at", "id"],
        unique=False,
    )
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("acquisition_campaign_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("first_order_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_order_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("orders_count", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch.add_column(
            sa.Column(
                "lifetime_revenue",
                sa.Numeric(19, 4).with_variant(sa.BigInteger(), "sqlite"),
                server_default=sa.text("0"),
                nullable=False,
            )
        )
        batch.create_index(
            "ix_contacts_workspace_id_acquisition_campaign_id_first_order_at",
            ["workspace_id", "acquisition_campaign_id", "first_order_at"],
            unique=False,
        )
        batch.create_index(
            "ix_contacts_workspace_id_first_order_at",
            ["workspace_id", "first_order_at"],
            unique=False,
        )
        batch.create_index(
            "ix_contacts_workspace_id_last_order_at_id",
            ["workspace_id", "last_order_at", "id"],
            unique=False,
        )
        batch.create_index(
            "ix_contacts_workspace_id_lifetime_revenue_id",
            ["workspace_id", "lifetime_revenue", "id"],
            unique=False,
        )
        batch.create_index(
            "ix_contacts_workspace_id_orders_count", ["workspace_id", "orders_count"], unique=False
        )
        batch.create_foreign_key(
            "fk_contacts_workspace_id_acquisition_campaign_id_campaigns",
            "campaigns",
            ["workspace_id", "acquisition_campaign_id"],
            ["workspace_id", "id"],
        )
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(
            sa.Column(
                "inactivity_days", sa.Integer(), server_default=sa.text("180"), nullable=False
            )
        )
        batch.add_column(
            sa.Column(
                "default_gross_margin",
                sa.Numeric(5, 4).with_variant(sa.BigInteger(), "sqlite"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("default_gross_margin")
        batch.drop_column("inactivity_days")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_constraint(
            "fk_contacts_workspace_id_acquisition_campaign_id_campaigns", type_="foreignkey"
        )
        batch.drop_index("ix_contacts_workspace_id_orders_count")
        batch.drop_index("ix_contacts_workspace_id_lifetime_revenue_id")
        batch.drop_index("ix_contacts_workspace_id_last_order_at_id")
        batch.drop_index("ix_contacts_workspace_id_first_order_at")
        batch.drop_index("ix_contacts_workspace_id_acquisition_campaign_id_first_order_at")
        batch.drop_column("lifetime_revenue")
        batch.drop_column("orders_count")
        batch.drop_column("last_order_at")
        batch.drop_column("first_order_at")
        batch.drop_column("acquisition_campaign_id")
    op.drop_index(op.f("ix_orders_workspace_id_updated_at_id"), table_name="orders")
    op.drop_index("ix_orders_workspace_id_status_ordered_at_chain", table_name="orders")
    op.drop_index(op.f("ix_orders_workspace_id_ordered_at_id"), table_name="orders")
    op.drop_index(op.f("ix_orders_workspace_id_created_at_id"), table_name="orders")
    op.drop_index(op.f("ix_orders_workspace_id_contact_id_ordered_at_id"), table_name="orders")
    op.drop_index(op.f("ix_orders_workspace_id_channel"), table_name="orders")
    op.drop_table("orders")
    op.drop_index(op.f("ix_spend_entries_workspace_id_updated_at_id"), table_name="spend_entries")
    op.drop_index(op.f("ix_spend_entries_workspace_id_incurred_on_id"), table_name="spend_entries")
    op.drop_index(op.f("ix_spend_entries_workspace_id_created_at_id"), table_name="spend_entries")
    op.drop_index(
        op.f("ix_spend_entries_workspace_id_category_incurred_on"), table_name="spend_entries"
    )
    op.drop_table("spend_entries")
    op.drop_index(op.f("ix_campaigns_workspace_id_updated_at_id"), table_name="campaigns")
    op.drop_index(op.f("ix_campaigns_workspace_id_status"), table_name="campaigns")
    op.drop_index(op.f("ix_campaigns_workspace_id_started_at_id"), table_name="campaigns")
    op.drop_index(op.f("ix_campaigns_workspace_id_created_at_id"), table_name="campaigns")
    op.drop_index(op.f("ix_campaigns_workspace_id_channel"), table_name="campaigns")
    op.drop_table("campaigns")
