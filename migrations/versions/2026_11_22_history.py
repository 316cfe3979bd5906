"""Customer history: interactions, tasks and feedback; contacts' last interaction.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:40:09.331925+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "csat",
                "nps",
                "complaint",
                "suggestion",
                "praise",
                name="feedback_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "resolved",
                "closed",
                name="feedback_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("assignee_id", sa.String(length=64), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "contact_id"],
            ["contacts.workspace_id", "contacts.id"],
            name=op.f("fk_feedback_workspace_id_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_feedback_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index(
        op.f("ix_feedback_workspace_id_assignee_id"),
        "feedback",
        ["workspace_id", "assignee_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_feedback_workspace_id_contact_id_received_at_id"),
        "feedback",
        ["workspace_id", "contact_id", "received_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_feedback_workspace_id_created_at_id"),
        "feedback",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_feedback_workspace_id_kind_score"),
        "feedback",
        ["workspace_id", "kind", "score"],
        unique=False,
    )
    op.create_index(
        op.f("ix_feedback_workspace_id_received_at_id"),
        "feedback",
        ["workspace_id", "received_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_feedback_workspace_id_status"),
        "feedback",
        ["workspace_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_feedback_workspace_id_updated_at_id"),
        "feedback",
        ["workspace_id", "updated_at", "id"],
        unique=False,
    )
    op.create_table(
        "interactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column(
            "type",
            sa.Enum(
                "call",
                "email",
                "meeting",
                "note",
                "chat",
                "visit",
                "social",
                name="type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "direction",
            sa.Enum(
                "inbound", "outbound", name="direction", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "company_id"],
            ["companies.workspace_id", "companies.id"],
            name=op.f("fk_interactions_workspace_id_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "contact_id"],
            ["contacts.workspace_id", "contacts.id"],
            name=op.f("fk_interactions_workspace_id_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_interactions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
    )
    op.create_index(
        op.f("ix_interactions_workspace_id_company_id"),
        "interactions",
        ["workspace_id", "company_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_interactions_workspace_id_contact_id_occurred_at_id"),
        "interactions",
        ["workspace_id", "contact_id", "occurred_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_interactions_workspace_id_created_at_id"),
        "interactions",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_interactions_workspace_id_direction"),
        "interactions",
        ["workspace_id", "direction"],
        unique=False,
    )
    op.create_index(
        op.f("ix_interactions_workspace_id_occurred_at_id"),
        "interactions",
        ["workspace_id", "occurred_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_interactions_workspace_id_owner_id"),
        "interactions",
        ["workspace_id", "owner_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_interactions_workspace_id_type"),
        "interactions",
        ["workspace_id", "type"],
        unique=False,
    )
    op.create_index(
        op.f("ix_interactions_workspace_id_updated_at_id"),
        "interactions",
        ["workspace_id", "updated_at", "id"],
        unique=False,
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "done",
                "cancelled",
                name="task_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "normal",
                "high",
                "urgent",
                name="priority",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("assignee_id", sa.String(length=64), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "company_id"],
            ["companies.workspace_id", "companies.id"],
            name=op.f("fk_tasks_workspace_id_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "contact_id"],
            ["contacts.workspace_id", "contacts.id"],
            name=op.f("fk_tasks_workspace_id_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_tasks_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index(
        op.f("ix_tasks_workspace_id_assignee_id_status_due_at"),
        "tasks",
        ["workspace_id", "assignee_id", "status", "due_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_tasks_workspace_id_company_id"),
        "tasks",
        ["workspace_id", "company_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_tasks_workspace_id_contact_id_created_at_id"),
        "tasks",
        ["workspace_id", "contact_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_tasks_workspace_id_created_at_id"),
        "tasks",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_tasks_workspace_id_due_at_id"),
        "tasks",
        ["workspace_id", "due_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_tasks_workspace_id_status_due_at_id"),
        "tasks",
        ["workspace_id", "status", "due_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_tasks_workspace_id_updated_at_id"),
        "tasks",
        ["workspace_id", "updated_at", "id"],
        unique=False,
    )
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(
            sa.Column("last_interaction_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_index(
        op.f("ix_contacts_workspace_id_last_interaction_at_id"),
        "contacts",
        ["workspace_id", "last_interaction_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_contacts_workspace_id_last_interaction_at_id"), table_name="contacts")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("last_interaction_at")
    op.drop_index(op.f("ix_tasks_workspace_id_updated_at_id"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_workspace_id_status_due_at_id"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_workspace_id_due_at_id"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_workspace_id_created_at_id"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_workspace_id_contact_id_created_at_id"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_workspace_id_company_id"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_workspace_id_assignee_id_status_due_at"), table_name="tasks")
    op.drop_table("tasks")
    op.drop_index(op.f("ix_interactions_workspace_id_updated_at_id"), table_name="interactions")
    op.drop_index(op.f("ix_interactions_workspace_id_type"), table_name="interactions")
    op.drop_index(op.f("ix_interactions_workspace_id_owner_id"), table_name="interactions")
    op.drop_index(op.f("ix_interactions_workspace_id_occurred_at_id"), table_name="interactions")
    op.drop_index(op.f("ix_interactions_workspace_id_direction"), table_name="interactions")
    op.drop_index(op.f("ix_interactions_workspace_id_created_at_id"), table_name="interactions")
    op.drop_index(
        op.f("ix_interactions_workspace_id_contact_id_occurred_at_id"), table_name="interactions"
    )
    op.drop_index(op.f("ix_interactions_workspace_id_company_id"), table_name="interactions")
    op.drop_table("interactions")
    op.drop_index(op.f("ix_feedback_workspace_id_updated_at_id"), table_name="feedback")
    op.drop_index(op.f("ix_feedback_workspace_id_status"), table_name="feedback")
    op.drop_index(op.f("ix_feedback_workspace_id_received_at_id"), table_name="feedback")
    op.drop_index(op.f("ix_feedback_workspace_id_kind_score"), table_name="feedback")
    op.drop_index(op.f("ix_feedback_workspace_id_created_at_id"), table_name="feedback")
    op.drop_index(op.f("ix_feedback_workspace_id_contact_id_received_at_id"), table_name="feedback")
    op.drop_index(op.f("ix_feedback_workspace_id_assignee_id"), table_name="feedback")
    op.drop_table("feedback")
