"""Sales pipeline: pipelines, stages, deals and their stage history; exchange rates.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:48:05.320330+00:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The default pipeline as it stood when this migration was written (new workspaces get it from
# app/pipelines/schemas.py; existing ones get this copy below).
def on_postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


DEFAULT_STAGES = (
    ("Lead in", 10, "open"),
    ("Qualified", 25, "open"),
    ("Proposal", 50, "open"),
    ("Negotiation", 75, "open"),
    ("Won", 100, "won"),
    ("Lost", 0, "lost"),
)


def upgrade() -> None:
    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column(
            "rate", sa.Numeric(24, 8).with_variant(sa.BigInteger(), "sqlite"), nullable=False
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_exchange_rates_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rates")),
        sa.UniqueConstraint(
            "workspace_id",
            "currency",
            "valid_from",
            name=op.f("uq_exchange_rates_workspace_id_currency_valid_from"),
        ),
    )
    op.create_index(
        op.f("ix_exchange_rates_workspace_id_created_at_id"),
        "exchange_rates",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "pipelines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_pipelines_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipelines")),
        sa.UniqueConstraint("workspace_id", "id", name=op.f("uq_pipelines_workspace_id_id")),
    )
    op.create_index(
        op.f("ix_pipelines_workspace_id_created_at_id"),
        "pipelines",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "pipeline_stages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "open", "won", "lost", name="stage_kind", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "pipeline_id"],
            ["pipelines.workspace_id", "pipelines.id"],
            name=op.f("fk_pipeline_stages_workspace_id_pipeline_id_pipelines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_pipeline_stages_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_stages")),
        sa.UniqueConstraint("workspace_id", "id", name=op.f("uq_pipeline_stages_workspace_id_id")),
        sa.UniqueConstraint(
            "workspace_id",
            "pipeline_id",
            "id",
            name=op.f("uq_pipeline_stages_workspace_id_pipeline_id_id"),
        ),
    )
    op.create_index(
        op.f("ix_pipeline_stages_workspace_id_pipeline_id_position"),
        "pipeline_stages",
        ["workspace_id", "pipeline_id", "position"],
        unique=False,
    )
    op.create_table(
        "deals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("stage_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "won", "lost", name="deal_status", native_enum=False, create_constraint=True
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
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.String(length=64), nullable=True),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lost_reason", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("stage_entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "company_id"],
            ["companies.workspace_id", "companies.id"],
            name=op.f("fk_deals_workspace_id_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "contact_id"],
            ["contacts.workspace_id", "contacts.id"],
            name=op.f("fk_deals_workspace_id_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "pipeline_id", "stage_id"],
            ["pipeline_stages.workspace_id", "pipeline_stages.pipeline_id", "pipeline_stages.id"],
            name=op.f("fk_deals_workspace_id_pipeline_id_stage_id_pipeline_stages"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_deals_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
        sa.UniqueConstraint(
            "workspace_id", "external_id", name=op.f("uq_deals_workspace_id_external_id")
        ),
        sa.UniqueConstraint("workspace_id", "id", name=op.f("uq_deals_workspace_id_id")),
    )
    op.create_index(
        op.f("ix_deals_workspace_id_amount_base"),
        "deals",
        ["workspace_id", "amount_base"],
        unique=False,
    )
    op.create_index(
        op.f("ix_deals_workspace_id_company_id"),
        "deals",
        ["workspace_id", "company_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_deals_workspace_id_contact_id"),
        "deals",
        ["workspace_id", "contact_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_deals_workspace_id_created_at_id"),
        "deals",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_deals_workspace_id_expected_close_date_id"),
        "deals",
        ["workspace_id", "expected_close_date", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_deals_workspace_id_owner_id"), "deals", ["workspace_id", "owner_id"], unique=False
    )
    op.create_index(
        op.f("ix_deals_workspace_id_pipeline_id_status_expected_close_date"),
        "deals",
        ["workspace_id", "pipeline_id", "status", "expected_close_date"],
        unique=False,
    )
    op.create_index(
        op.f("ix_deals_workspace_id_stage_id"), "deals", ["workspace_id", "stage_id"], unique=False
    )
    op.create_index(
        op.f("ix_deals_workspace_id_status_closed_at"),
        "deals",
        ["workspace_id", "status", "closed_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_deals_workspace_id_updated_at_id"),
        "deals",
        ["workspace_id", "updated_at", "id"],
        unique=False,
    )
    op.create_table(
        "deal_stage_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("from_stage_id", sa.Uuid(), nullable=True),
        sa.Column("to_stage_id", sa.Uuid(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_key_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id", "deal_id"],
            ["deals.workspace_id", "deals.id"],
            name=op.f("fk_deal_stage_changes_workspace_id_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_deal_stage_changes_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_stage_changes")),
    )
    op.create_index(
        op.f("ix_deal_stage_changes_workspace_id_contact_id_changed_at_id"),
        "deal_stage_changes",
        ["workspace_id", "contact_id", "changed_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_deal_stage_changes_workspace_id_deal_id_changed_at_id"),
        "deal_stage_changes",
        ["workspace_id", "deal_id", "changed_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_deal_stage_changes_workspace_id_pipeline_id_to_stage_id"),
        "deal_stage_changes",
        ["workspace_id", "pipeline_id", "to_stage_id"],
        unique=False,
    )
    _default_pipelines()
    for table in ("interactions", "tasks"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("deal_id", sa.Uuid(), nullable=True))
            batch.create_index(
                f"ix_{table}_workspace_id_deal_id", ["workspace_id", "deal_id"], unique=False
            )
            batch.create_foreign_key(
                f"fk_{table}_workspace_id_deal_id_deals",
                "deals",
                ["workspace_id", "deal_id"],
                ["workspace_id", "id"],
            )


def downgrade() -> None:
    for table in ("tasks", "interactions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_workspace_id_deal_id_deals", type_="foreignkey")
            batch.drop_index(f"ix_{table}_workspace_id_deal_id")
            batch.drop_column("deal_id")
    op.drop_index(
        op.f("ix_deal_stage_changes_workspace_id_pipeline_id_to_stage_id"),
        table_name="deal_stage_changes",
    )
    op.drop_index(
        op.f("ix_deal_stage_changes_workspace_id_deal_id_changed_at_id"),
        table_name="deal_stage_changes",
    )
    op.drop_index(
        op.f("ix_deal_stage_changes_workspace_id_contact_id_changed_at_id"),
        table_name="deal_stage_changes",
    )
    op.drop_table("deal_stage_changes")
    op.drop_index(op.f("ix_deals_workspace_id_updated_at_id"), table_name="deals")
    op.drop_index(op.f("ix_deals_workspace_id_status_closed_at"), table_name="deals")
    op.drop_index(op.f("ix_deals_workspace_id_stage_id"), table_name="deals")
    op.drop_index(
        op.f("ix_deals_workspace_id_pipeline_id_status_expected_close_date"), table_name="deals"
    )
    op.drop_index(op.f("ix_deals_workspace_id_owner_id"), table_name="deals")
    op.drop_index(op.f("ix_deals_workspace_id_expected_close_date_id"), table_name="deals")
    op.drop_index(op.f("ix_deals_workspace_id_created_at_id"), table_name="deals")
    op.drop_index(op.f("ix_deals_workspace_id_contact_id"), table_name="deals")
    op.drop_index(op.f("ix_deals_workspace_id_company_id"), table_name="deals")
    op.drop_index(op.f("ix_deals_workspace_id_amount_base"), table_name="deals")
    op.drop_table("deals")
    op.drop_index(
        op.f("ix_pipeline_stages_workspace_id_pipeline_id_position"), table_name="pipeline_stages"
    )
    op.drop_table("pipeline_stages")
    op.drop_index(op.f("ix_pipelines_workspace_id_created_at_id"), table_name="pipelines")
    op.drop_table("pipelines")
    op.drop_index(op.f("ix_exchange_rates_workspace_id_created_at_id"), table_name="exchange_rates")
    op.drop_table("exchange_rates")


def _default_pipelines() -> None:
    """Give every existing workspace the default sales pipeline."""
    now = datetime.now(UTC)
    pipelines = sa.table(
        "pipelines",
        *(
            sa.column(name)
            for name in ("id", "workspace_id", "name", "created_at", "updated_at", "version")
        ),
    )
    stages = sa.table(
        "pipeline_stages",
        *(
            sa.column(name)
            for name in (
                "id",
                "workspace_id",
                "pipeline_id",
                "name",
                "position",
                "probability",
                "kind",
                "created_at",
                "updated_at",
                "version",
            )
        ),
    )
    bind = op.get_bind()
    stamp = now if on_postgresql() else now.replace(tzinfo=None)
    for (workspace_id,) in bind.execute(sa.text("SELECT id FROM workspaces")).all():
        pipeline_id = _uuid(bind)
        op.execute(
            pipelines.insert().values(
                id=pipeline_id,
                workspace_id=workspace_id,
                name="Sales",
                created_at=stamp,
                updated_at=stamp,
                version=1,
            )
        )
        for position, (name, probability, kind) in enumerate(DEFAULT_STAGES):
            op.execute(
                stages.insert().values(
                    id=_uuid(bind),
                    workspace_id=workspace_id,
                    pipeline_id=pipeline_id,
                    name=name,
                    position=position,
                    probability=probability,
                    kind=kind,
                    created_at=stamp,
                    updated_at=stamp,
                    version=1,
                )
            )


def _uuid(bind: sa.engine.Connection) -> object:
    # PostgreSQL takes UUID values; SQLite stores them as 32 hex digits, as SQLAlchemy's Uuid does.
    value = uuid.uuid4()
    return value if bind.dialect.name == "postgresql" else value.hex
