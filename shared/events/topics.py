"""Logical topic names (`tracs.<service>.<stream>.v<N>`); a deployment may add a prefix."""

INTAKE_BATCH = "tracs.intake.batch.v1"
INTAKE_CHUNKS = "tracs.intake.encounter.v2"  # v2: rows travel in chunks
CASES = "tracs.cases.v1"
DISCLOSURE = "tracs.disclosure.v1"
REDRESS = "tracs.redress.v1"
# The gateway's staff (usernames, roles, programs, active): cases checks assignees against them.
GATEWAY_STAFF = "tracs.gateway.staff.v1"
# Every service signs the head of its audit trail here; the gateway keeps them (docs/architecture.md).
AUDIT_CHECKPOINT = "tracs.audit.checkpoint.v1"
# Retention across services: legal holds placed in cases reach every service that keeps records about their
# subject; every service reports what it disposed of (counts only), which reporting totals.
RETENTION = "tracs.retention.v1"

ALL = (INTAKE_BATCH, INTAKE_CHUNKS, CASES, DISCLOSURE, REDRESS, AUDIT_CHECKPOINT, GATEWAY_STAFF, RETENTION)


def dlq(topic: str) -> str:
    return f"{topic}.dlq"


def all_with_dlq() -> list[str]:
    """Every topic the system uses: created up front with their final partition count (Tansu cannot add)."""
    return [name for topic in ALL for name in (topic, dlq(topic))]
