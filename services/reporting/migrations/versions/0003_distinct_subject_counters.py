"""distinct subject counters

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 03:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Reports now read a per-day counter of distinct subjects; fill it from the digests kept so far.
    op.execute(
        "INSERT INTO daily_counts (day, program, partner, metric, value) "
        "SELECT day, program, partner, 'distinct_subjects', count(*) FROM subject_days "
        "GROUP BY day, program, partner "
        "ON CONFLICT (day, program, partner, metric) DO UPDATE SET value = EXCLUDED.value"
    )


def downgrade() -> None:
    op.execute("DELETE FROM daily_counts WHERE metric = 'distinct_subjects'")
