"""Redress's own tables: requests and their work. Imported records are found through cases (no copy here);
a linked record is kept as its encounter id with the officer's note."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Table, Text, Uuid, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from shared.disposal import hold_table
from shared.runtime import service_metadata

metadata, outbox, inbox = service_metadata()
# Cases' legal holds with what each covers (ids only): a request whose records a hold covers is never disposed of.
legal_holds = hold_table(metadata)

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
    Column("sla_warned_for", Date),  # the due date whose nearing was announced (RedressSlaNearing), once per date
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

# Which source systems the officer searched for the request, when, by whom, with what result.
searches = Table(
    "redress_searches",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("redress_id", Uuid, ForeignKey("redress_requests.id"), nullable=False, index=True),
    Column("system", Text, nullable=False),
    Column("result", Text, nullable=False),
    Column("notes", Text, nullable=False),
    Column("searched_by", Text, nullable=False),
    Column("searched_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Re-links decided on a request: records (encounter ids) moved from the subject they were wrongly linked to.
relinks = Table(
    "relinks",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("redress_id", Uuid, ForeignKey("redress_requests.id"), nullable=False, index=True),
    Column("encounter_ids", ARRAY(Uuid), nullable=False),
    Column("from_subject_id", Uuid, nullable=False),
    Column("to_subject_id", Uuid, nullable=False),
    Column("new_subject", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("undoes", Uuid),
    Column("undone_by", Uuid),
    Column("decided_by", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Notices to a system owner of a discrepancy in its records (PIA 3.0), the owner's reply and decision.
owner_notices = Table(
    "owner_notices",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("redress_id", Uuid, ForeignKey("redress_requests.id"), nullable=False, index=True),
    Column("data_owner", Text, nullable=False),
    Column("discrepancy", Text, nullable=False),
    Column("encounter_ids", ARRAY(Uuid), nullable=False, server_default="{}"),
    Column("channel", Text, nullable=False),
    Column("sent_on", Date, nullable=False),
    Column("sent_by", Text, nullable=False),
    Column("reply", Text),
    Column("replied_on", Date),
    Column("reply_recorded_by", Text),
    Column("decision", Text),
    Column("decided_by", Text),
    Column("decision_recorded_by", Text),
    Column("decided_at", DateTime(timezone=True)),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Privacy Act access and amendment requests (PIA 7.1, 7.2) with their statutory clocks and appeal.
privacy_act_requests = Table(
    "privacy_act_requests",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("requester", JSONB, nullable=False),
    Column("received_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("acknowledge_by", Date),
    Column("records_sought", Text, nullable=False),
    Column("contested_information", Text),
    Column("reason", Text),
    Column("proposed_amendment", Text),
    Column("status", Text, nullable=False),
    Column("exemption", Text),
    Column("exemption_basis", Text),
    Column("exemption_reviewed_by", Text),
    Column("exemption_reviewed_at", DateTime(timezone=True)),
    Column("decision", Text),
    Column("decision_reason", Text),
    Column("decided_by", Text),
    Column("decided_at", DateTime(timezone=True)),
    Column("response", JSONB),
    Column("responded_on", Date),
    Column("appealed_on", Date),
    Column("appeal_due_on", Date),
    Column("appeal_reason", Text),
    Column("appeal_decision", Text),
    Column("appeal_decision_reason", Text),
    Column("appeal_decided_by", Text),
    Column("appeal_decided_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

privacy_act_timeline = Table(
    "privacy_act_timeline",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("request_id", Uuid, ForeignKey("privacy_act_requests.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("detail", JSONB, nullable=False),
)
