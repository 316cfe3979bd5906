"""Foundation: workspaces, API keys, companies and contacts.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 08:52:52.906288+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def on_postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    if on_postgresql():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "manager",
                "sales",
                "support",
                "marketing",
                "viewer",
                name="role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("key_hash", sa.CHAR(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_api_keys_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_index(
        op.f("ix_api_keys_workspace_id_created_at_id"),
        "api_keys",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "companies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column(
            "size",
            sa.Enum(
                "1-10",
                "11-50",
                "51-200",
                "201-500",
                "501-1000",
                "1001-5000",
                "5001+",
                name="size",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("owner_id", sa.String(length=64), nullable=True),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column(
            "custom_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_companies_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint(
            "workspace_id", "external_id", name=op.f("uq_companies_workspace_id_external_id")
        ),
        sa.UniqueConstraint("workspace_id", "id", name=op.f("uq_companies_workspace_id_id")),
    )
    op.create_index(
        op.f("ix_companies_workspace_id_created_at_id"),
        "companies",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_companies_workspace_id_domain"),
        "companies",
        ["workspace_id", "domain"],
        unique=False,
    )
    op.create_index(
        op.f("ix_companies_workspace_id_industry"),
        "companies",
        ["workspace_id", "industry"],
        unique=False,
    )
    op.create_index(
        op.f("ix_companies_workspace_id_name_id"),
        "companies",
        ["workspace_id", "name", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_companies_workspace_id_owner_id"),
        "companies",
        ["workspace_id", "owner_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_companies_workspace_id_size"), "companies", ["workspace_id", "size"], unique=False
    )
    op.create_index(
        op.f("ix_companies_workspace_id_updated_at_id"),
        "companies",
        ["workspace_id", "updated_at", "id"],
        unique=False,
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.String(length=64), nullable=True),
        sa.Column(
            "lifecycle_stage",
            sa.Enum(
                "lead",
                "prospect",
                "customer",
                "churned",
                name="lifecycle_stage",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "custom_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "company_id"],
            ["companies.workspace_id", "companies.id"],
            name=op.f("fk_contacts_workspace_id_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_contacts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("workspace_id", "email", name=op.f("uq_contacts_workspace_id_email")),
        sa.UniqueConstraint(
            "workspace_id", "external_id", name=op.f("uq_contacts_workspace_id_external_id")
        ),
        sa.UniqueConstraint("workspace_id", "id", name=op.f("uq_contacts_workspace_id_id")),
    )
    op.create_index(
        op.f("ix_contacts_workspace_id_company_id"),
        "contacts",
        ["workspace_id", "company_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_contacts_workspace_id_created_at_id"),
        "contacts",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_contacts_workspace_id_last_name_id"),
        "contacts",
        ["workspace_id", "last_name", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_contacts_workspace_id_lifecycle_stage"),
        "contacts",
        ["workspace_id", "lifecycle_stage"],
        unique=False,
    )
    op.create_index(
        op.f("ix_contacts_workspace_id_owner_id"),
        "contacts",
        ["workspace_id", "owner_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_contacts_workspace_id_source"),
        "contacts",
        ["workspace_id", "source"],
        unique=False,
    )
    op.create_index(
        op.f("ix_contacts_workspace_id_updated_at_id"),
        "contacts",
        ["workspace_id", "updated_at", "id"],
        unique=False,
    )

    if on_postgresql():  # GIN indexes; SQLite scans for tags and search instead
        op.create_index(
            "ix_companies_search_text_trgm",
            "companies",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
        op.create_index(
            "ix_contacts_search_text_trgm",
            "contacts",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
        op.create_index(
            "ix_contacts_tags_gin",
            "contacts",
            ["tags"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"tags": "jsonb_path_ops"},
        )


def downgrade() -> None:
    if on_postgresql():
        op.drop_index(
            "ix_contacts_tags_gin",
            table_name="contacts",
            postgresql_using="gin",
            postgresql_ops={"tags": "jsonb_path_ops"},
        )
        op.drop_index(
            "ix_contacts_search_text_trgm",
            table_name="contacts",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
        op.drop_index(
            "ix_companies_search_text_trgm",
            table_name="companies",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
    op.drop_index(op.f("ix_contacts_workspace_id_updated_at_id"), table_name="contacts")
    op.drop_index(op.f("ix_contacts_workspace_id_source"), table_name="contacts")
    op.drop_index(op.f("ix_contacts_workspace_id_owner_id"), table_name="contacts")
    op.drop_index(op.f("ix_contacts_workspace_id_lifecycle_stage"), table_name="contacts")
    op.drop_index(op.f("ix_contacts_workspace_id_last_name_id"), table_name="contacts")
    op.drop_index(op.f("ix_contacts_workspace_id_created_at_id"), table_name="contacts")
    op.drop_index(op.f("ix_contacts_workspace_id_company_id"), table_name="contacts")
    op.drop_table("contacts")
    op.drop_index(op.f("ix_companies_workspace_id_updated_at_id"), table_name="companies")
    op.drop_index(op.f("ix_companies_workspace_id_size"), table_name="companies")
    op.drop_index(op.f("ix_companies_workspace_id_owner_id"), table_name="companies")
    op.drop_index(op.f("ix_companies_workspace_id_name_id"), table_name="companies")
    op.drop_index(op.f("ix_companies_workspace_id_industry"), table_name="companies")
    op.drop_index(op.f("ix_companies_workspace_id_domain"), table_name="companies")
    op.drop_index(op.f("ix_companies_workspace_id_created_at_id"), table_name="companies")
    op.drop_table("companies")
    op.drop_index(op.f("ix_api_keys_workspace_id_created_at_id"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("workspaces")
