"""Reporting's own tables: aggregates only (no names, dates of birth, identifiers or free text about people)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
    text,
)

from shared.runtime import service_metadata

metadata, outbox, inbox = service_metadata()

daily_counts = Table(
    "daily_counts",
    metadata,
    Column("day", Date, nullable=False),
    Column("program", Text, nullable=False),
    Column("partner", Text, nullable=False),
    Column("metric", Text, nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "program", "partner", "metric"),
    # The DOSR reads matches per partner for its weeks: an index-only scan of just those counters.
    Index(
        "ix_daily_counts_matches",
        "day",
        "program",
        postgresql_include=["partner", "value"],
        postgresql_where=text("metric = 'matches'"),
    ),
)

# The same counters summed over partners: what the DOSR's daily and weekly tables and the EPR read.
program_days = Table(
    "program_days",
    metadata,
    Column("day", Date, nullable=False),
    Column("program", Text, nullable=False),
    Column("metric", Text, nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "program", "metric"),
)

owner_counts = Table(
    "owner_counts",
    metadata,
    Column("day", Date, nullable=False),
    Column("data_owner", Text, nullable=False),
    Column("metric", Text, nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "data_owner", "metric"),
)

# Distinct subjects per day/program/partner, as keyed digests (not reversible to a person).
subject_days = Table(
    "subject_days",
    metadata,
    Column("day", Date, nullable=False),
    Column("program", Text, nullable=False),
    Column("partner", Text, nullable=False),
    Column("digest", LargeBinary, nullable=False),
    PrimaryKeyConstraint("day", "program", "partner", "digest"),
)

# One row per redress request: its id (internal, not the requester), source, dates and outcome.
redress_facts = Table(
    "redress_facts",
    metadata,
    Column("redress_id", Uuid, primary_key=True),
    Column("source", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("received_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("closed_on", Date),
    Column("determination", Text),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Index("ix_redress_facts_received_on", "received_on"),
    Index("ix_redress_facts_closed_on", "closed_on"),
)

# Redress requests counted by the day received and the day closed (closed_days: days from receipt to closure
# summed; closed_within: closed by the due date), kept in step with redress_facts by `counting.track_redress`.
redress_days = Table(
    "redress_days",
    metadata,
    Column("day", Date, nullable=False),
    Column("metric", Text, nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "metric"),
)

bulletins = Table(
    "bulletins",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("case_summary", Text, nullable=False),
    Column("services_provided", Text, nullable=False),
    Column("outcome", Text, nullable=False, server_default=""),
    Column("author", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    Column("approved_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False),
    Column("sent_by", Text),
    Column("approved_by", Text),
)

# Every iteration of a bulletin as written (PIA 3: bulletins "record iterations"): an edit adds one, never
# overwrites; deleting a draft bulletin deletes its iterations with it.
bulletin_iterations = Table(
    "bulletin_iterations",
    metadata,
    Column("bulletin_id", Uuid, ForeignKey("bulletins.id", ondelete="CASCADE"), nullable=False),
    Column("iteration", BigInteger, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("case_summary", Text, nullable=False),
    Column("services_provided", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("written_by", Text, nullable=False),
    Column("written_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("bulletin_id", "iteration"),
)


# Automated reports as generated (PIA 3: "Automated reports are stored in TRACS"): each format's bytes, with the
# suppression they were published with inside them; a trigger refuses any UPDATE or DELETE (migration 0007).
stored_reports = Table(
    "stored_reports",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("kind", Text, nullable=False),  # dosr, epr, components
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("threshold", BigInteger, nullable=False),
    Column("generated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("generated_by", Text, nullable=False),
    Column("json", LargeBinary, nullable=False),
    Column("csv", LargeBinary, nullable=False),
    Column("xlsx", LargeBinary, nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Index("ux_stored_reports_period", "kind", "period_start", "period_end", unique=True),
)


# The disposal report (counts only): what each service's retention run disposed of, per record kind and rule, as
# each reported it (`RecordsDisposed`); a run's kind is recorded once however often the event arrives.
disposals = Table(
    "disposals",
    metadata,
    Column("run_id", Uuid, nullable=False),
    Column("kind", Text, nullable=False),
    Column("service", Text, nullable=False),
    Column("rule", Text, nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("held", BigInteger, nullable=False),
    Column("as_of", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("run_id", "kind"),
)
