"""findings keep the encounters they are about: disclosure now reads a case's findings from cases

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 00:30:00

Until now only the FindingRecorded event carried a finding's encounter ids (disclosure kept them in its copy).
Findings already recorded get theirs back from cases' own outbox, where the event is still stored; a finding
whose event is gone is about the case as a whole (disclosure then withholds nothing on its account).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL = sa.text(
    """
    UPDATE findings AS f
       SET encounter_ids = ARRAY(SELECT jsonb_array_elements_text(e.body->'payload'->'encounter_ids'))::uuid[]
      FROM (SELECT convert_from(body, 'UTF8')::jsonb AS body FROM outbox WHERE event_type = 'FindingRecorded') AS e
     WHERE (e.body->'payload'->>'finding_id')::uuid = f.id
       AND jsonb_typeof(e.body->'payload'->'encounter_ids') = 'array'
    """
)


def upgrade() -> None:
    op.add_column(
        "findings",
        sa.Column("encounter_ids", postgresql.ARRAY(sa.Uuid()), nullable=False, server_default="{}"),
    )
    op.execute(_BACKFILL)


def downgrade() -> None:
    op.drop_column("findings", "encounter_ids")
