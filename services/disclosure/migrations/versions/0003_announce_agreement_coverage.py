"""announce the coverage of agreements created before AgreementChanged existed

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 22:00:00

Agreements created from now on publish AgreementChanged with the change itself; this puts one into the
outbox for each agreement's current version already stored, so intake's projection of coverage is whole.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.events.disclosure import AgreementChanged
from shared.events.envelope import wrap

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = sa.text(
    "SELECT a.id, a.name, v.version, v.program, v.partner_country, v.valid_from, v.valid_to "
    "FROM agreements a JOIN agreement_versions v ON v.agreement_id = a.id AND v.version = a.current_version"
)
INSERT = sa.text(
    "INSERT INTO outbox (event_id, topic, key, event_type, correlation_id, body) "
    "VALUES (:event_id, :topic, :key, :event_type, :correlation_id, :body)"
)


def upgrade() -> None:
    bind = op.get_bind()
    for row in bind.execute(CURRENT).mappings().all():
        event = AgreementChanged(
            agreement_id=row["id"],
            version=row["version"],
            name=row["name"],
            program=row["program"],
            partner_country=row["partner_country"],
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
        )
        env = wrap(event, producer="disclosure", correlation_id="migration-0003", actor="system")
        bind.execute(
            INSERT,
            {
                "event_id": env.event_id,
                "topic": event.topic,
                "key": env.key,
                "event_type": env.event_type,
                "correlation_id": env.correlation_id,
                "body": env.to_bytes(),
            },
        )


def downgrade() -> None:
    """Nothing to undo: events once published stay published, and their consumers are idempotent."""
