"""The write path: idempotency keys per API key, the feed's counters owned by the events,
webhook endpoints that remember their creator's role.

Stored Idempotency-Key answers are dropped: they belonged to a workspace, not to the API key
that sent them, and held secrets in clear. A retry of a request answered before this migration
runs afresh (the replay window is a day).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("admin", "manager", "sales", "support", "marketing", "viewer")


def upgrade() -> None:
    op.execute("DELETE FROM idempotency_keys")
    with op.batch_alter_table("idempotency_keys", recreate="always") as batch:
        batch.add_column(sa.Column("api_key_id", sa.Uuid(), nullable=False))
        batch.drop_constraint("pk_idempotency_keys", type_="primary")
        batch.create_primary_key("pk_idempotency_keys", ["workspace_id", "api_key_id", "key"])

    op.create_table(
        "event_counters",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("purged_through", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_event_counters_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_event_counters")),
    )
    op.execute(
        "INSERT INTO event_counters (workspace_id, last_seq, purged_through) "
        "SELECT id, event_seq, events_purged_through FROM workspaces"
    )
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("event_seq")
        batch.drop_column("events_purged_through")

    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.add_column(
            sa.Column(
                "role",
                sa.Enum(*ROLES, name="role", native_enum=False, create_constraint=True),
                nullable=False,
                # Endpoints so far were made by admins and managers, who read every event.
                server_default="admin",
            )
        )
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.alter_column("role", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.drop_constraint(op.f("ck_webhook_endpoints_role"), type_="check")
        batch.drop_column("role")

    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(
            sa.Column("event_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
        batch.add_column(
            sa.Column(
                "events_purged_through",
                sa.BigInteger(),
                server_default=sa.text("0"),
                nullable=False,
            )
        )
    op.execute(
        "UPDATE workspaces SET "
        "event_seq = (SELECT last_seq FROM event_counters c WHERE c.workspace_id = workspaces.id), "
        "events_purged_through = "
        "(SELECT purged_through FROM event_counters c WHERE c.workspace_id = workspaces.id) "
        "WHERE id IN (SELECT workspace_id FROM event_counters)"
    )
    op.drop_table("event_counters")

    op.execute("DELETE FROM idempotency_keys")
    with op.batch_alter_table("idempotency_keys", recreate="always") as batch:
        batch.drop_constraint("pk_idempotency_keys", type_="primary")
        batch.drop_column("api_key_id")
        batch.create_primary_key("pk_idempotency_keys", ["workspace_id", "key"])
