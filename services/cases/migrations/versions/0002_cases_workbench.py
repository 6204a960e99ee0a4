"""cases workbench

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 04:00:11.037592
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Trigram index for case- and accent-insensitive name search (contrib module shipped with PostgreSQL).
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("record_type", sa.Text(), nullable=False),
        sa.Column("record_id", sa.Text(), nullable=False),
        sa.Column("fields", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("correlation_id", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_key", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("program", sa.Text(), nullable=False),
        sa.Column("upload_kind", sa.Text(), nullable=False),
        sa.Column("partner_country", sa.Text(), nullable=True),
        sa.Column("partner_unique_id", sa.Text(), nullable=True),
        sa.Column("partner_transaction_number", sa.Text(), nullable=True),
        sa.Column("search_code", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="new", nullable=False),
        sa.Column("assignee", sa.Text(), nullable=True),
        sa.Column("stale", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("findings_as_of", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("in_review_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("findings_ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.Text(), server_default="system", nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_key"),
    )
    op.create_index(op.f("ix_cases_assignee"), "cases", ["assignee"], unique=False)
    op.create_index("ix_cases_page", "cases", ["opened_at", "id"], unique=False)
    op.create_index(op.f("ix_cases_partner_transaction_number"), "cases", ["partner_transaction_number"], unique=False)
    op.create_index(op.f("ix_cases_subject_id"), "cases", ["subject_id"], unique=False)
    op.create_table(
        "case_encounters",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("encounter_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounters.id"],
        ),
        sa.PrimaryKeyConstraint("case_id", "encounter_id"),
    )
    op.create_index(op.f("ix_case_encounters_encounter_id"), "case_encounters", ["encounter_id"], unique=False)
    op.create_table(
        "case_timeline",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_case_timeline_case_id"), "case_timeline", ["case_id"], unique=False)
    op.create_table(
        "findings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("accurate_as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_findings_case_id"), "findings", ["case_id"], unique=False)
    op.create_table(
        "flags",
        sa.Column("encounter_id", sa.Uuid(), nullable=False),
        sa.Column("flag", sa.Text(), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounters.id"],
        ),
        sa.PrimaryKeyConstraint("encounter_id", "flag"),
    )
    op.create_table(
        "searches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("system", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("searched_by", sa.Text(), nullable=False),
        sa.Column("searched_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_searches_case_id"), "searches", ["case_id"], unique=False)
    op.create_index(
        "ix_encounters_name_trgm",
        "encounters",
        ["name_search"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name_search": "gin_trgm_ops"},
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_index(
        "ix_encounters_name_trgm",
        table_name="encounters",
        postgresql_using="gin",
        postgresql_ops={"name_search": "gin_trgm_ops"},
    )
    op.drop_index(op.f("ix_searches_case_id"), table_name="searches")
    op.drop_table("searches")
    op.drop_table("flags")
    op.drop_index(op.f("ix_findings_case_id"), table_name="findings")
    op.drop_table("findings")
    op.drop_index(op.f("ix_case_timeline_case_id"), table_name="case_timeline")
    op.drop_table("case_timeline")
    op.drop_index(op.f("ix_case_encounters_encounter_id"), table_name="case_encounters")
    op.drop_table("case_encounters")
    op.drop_index(op.f("ix_cases_subject_id"), table_name="cases")
    op.drop_index(op.f("ix_cases_partner_transaction_number"), table_name="cases")
    op.drop_index("ix_cases_page", table_name="cases")
    op.drop_index(op.f("ix_cases_assignee"), table_name="cases")
    op.drop_table("cases")
    op.drop_table("audit_log")
    # ### end Alembic commands ###
