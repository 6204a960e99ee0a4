"""users: name, email, disabled, must change password, mail preference; notifications for staff

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("full_name", sa.Text()))
    op.add_column("users", sa.Column("email", sa.Text()))
    op.add_column("users", sa.Column("disabled_at", sa.DateTime(timezone=True)))
    op.add_column("users", sa.Column("disabled_by", sa.Text()))
    op.add_column("users", sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default="false"))
    op.add_column("users", sa.Column("notify_by_mail", sa.Boolean(), nullable=False, server_default="false"))
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("record_type", sa.Text(), nullable=False),
        sa.Column("record_id", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        sa.Column("mail_state", sa.Text(), nullable=False, server_default="none"),
        sa.Column("mailed_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("username", "kind", "record_id", "label", name="uq_notifications_once"),
    )
    op.create_index("ix_notifications_user", "notifications", ["username", "created_at"])
    op.create_index(
        "ix_notifications_mail_due", "notifications", ["created_at"], postgresql_where=sa.text("mail_state = 'due'")
    )


def downgrade() -> None:
    op.drop_table("notifications")
    for column in ("notify_by_mail", "must_change_password", "disabled_by", "disabled_at", "email", "full_name"):
        op.drop_column("users", column)
