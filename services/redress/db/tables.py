"""Redress's own tables: requests and their work. Imported records are found through cases (no copy here);
a linked record is kept as its encounter id with the officer's note."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Table, Text, Uuid, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from shared.runtime import service_metadata

metadata, outbox, inbox = service_metadata()

requests = Table(
    "redress_requests",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("source", Text, nullable=False),
    Column("trip_number", Text),
    Column("channel", Text),
    Column("sent_on", Date, nullable=False),
    Column("received_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("requester", JSONB, nullable=False),
    Column("submitting_agency", Text, nullable=False),
    Column("contested_information", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("reviewers", ARRAY(Text), nullable=False, server_default="{}"),
    Column("determination", Text),
    Column("response", JSONB),
    Column("first_action_at", DateTime(timezone=True)),
    Column("review_started_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("reopened_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False),
    # A TRIP number names one redress case; a concurrent duplicate loses at the database too.
    Index("uq_redress_trip_number", "trip_number", unique=True, postgresql_where=text("trip_number IS NOT NULL")),
)

timeline = Table(
    "redress_timeline",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("redress_id", Uuid, ForeignKey("redress_requests.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("detail", JSONB, nullable=False),
)

links = Table(
    "linked_records",
    metadata,
    Column("redress_id", Uuid, ForeignKey("redress_requests.id"), primary_key=True),
    Column("encounter_id", Uuid, primary_key=True),
    Column("note", Text, nullable=False),
    Column("linked_by", Text, nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

findings = Table(
    "search_findings",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("redress_id", Uuid, ForeignKey("redress_requests.id"), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

corrections = Table(
    "corrections",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("redress_id", Uuid, ForeignKey("redress_requests.id"), nullable=False, index=True),
    Column("encounter_id", Uuid, nullable=False),
    Column("field", Text, nullable=False),
    Column("problem", Text, nullable=False),
    Column("proposed", Text, nullable=False),
    Column("data_owner", Text, nullable=False),
    Column("decision", Text, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("decided_by", Text),
    Column("decided_at", DateTime(timezone=True)),
)
