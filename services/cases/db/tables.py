"""Cases' own tables (with the outbox, inbox and audit trail every service has) and their `metadata`."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, Table, Text, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from shared.runtime import service_metadata

metadata, outbox, inbox = service_metadata()

subjects = Table(
    "subjects",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("subject_key", Text, nullable=False, unique=True),
    Column("fin", Text, index=True),
    Column("partner_country", Text),
    Column("partner_unique_id", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

encounters = Table(
    "encounters",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("subject_id", Uuid, ForeignKey("subjects.id"), nullable=False, index=True),
    Column("batch_id", Uuid, nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("program", Text, nullable=False),
    Column("upload_kind", Text, nullable=False),
    Column("fin", Text),
    Column("last_name", Text),
    Column("first_name", Text),
    Column("dob", Text),
    Column("data_owner", Text),
    Column("partner_country", Text),
    Column("partner_transaction_number", Text),
    # Search keys of every name and alias (shared.names.keys): own script folded, Latin key, whole-word terms.
    Column("name_search", Text, nullable=False, server_default=""),
    Column("name_key", Text, nullable=False, server_default=""),
    Column("name_terms", ARRAY(Text), nullable=False, server_default="{}"),
    Column("fields", JSONB, nullable=False),
    Column("raw", JSONB, nullable=False),
    Column("extra", JSONB, nullable=False),
    Column("imported_by", Text, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("attached_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_encounters_fin", "fin"),
    # A batch's encounters in row order, a page at a time (analysts and the import benchmark read them so).
    Index("ix_encounters_batch_page", "batch_id", "row_number", "id"),
    # Names in any script from plain Latin: whole words and skeletons by array GIN, parts of words by trigrams.
    Index("ix_encounters_name_terms", "name_terms", postgresql_using="gin"),
    Index(
        "ix_encounters_name_key_trgm", "name_key", postgresql_using="gin", postgresql_ops={"name_key": "gin_trgm_ops"}
    ),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_key", Text, nullable=False, unique=True),
    Column("subject_id", Uuid, ForeignKey("subjects.id"), nullable=False, index=True),
    Column("program", Text, nullable=False),
    Column("upload_kind", Text, nullable=False),
    Column("partner_country", Text),
    Column("partner_unique_id", Text),
    Column("partner_transaction_number", Text, index=True),
    Column("search_code", Text),
    Column("status", Text, nullable=False, server_default="new"),
    Column("assignee", Text, index=True),
    Column("stale", Boolean, nullable=False, server_default="false"),
    Column("findings_as_of", DateTime(timezone=True)),
    Column("opened_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("in_review_at", DateTime(timezone=True)),
    Column("findings_ready_at", DateTime(timezone=True)),
    Column("response_sent_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False, server_default="system"),
    Index("ix_cases_page", "opened_at", "id"),
)

case_encounters = Table(
    "case_encounters",
    metadata,
    Column("case_id", Uuid, ForeignKey("cases.id"), primary_key=True),
    Column("encounter_id", Uuid, ForeignKey("encounters.id"), primary_key=True, index=True),
)

flags = Table(
    "flags",
    metadata,
    Column("encounter_id", Uuid, ForeignKey("encounters.id"), primary_key=True),
    Column("flag", Text, primary_key=True),
    Column("value", JSONB, nullable=False),
    Column("reason", Text, nullable=False),
    Column("set_by", Text, nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

searches = Table(
    "searches",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("system", Text, nullable=False),
    Column("result", Text, nullable=False),
    Column("notes", Text, nullable=False),
    Column("searched_by", Text, nullable=False),
    Column("searched_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

findings = Table(
    "findings",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("kind", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("accurate_as_of", DateTime(timezone=True), nullable=False),
    # The encounters a finding is about (empty: the case as a whole); disclosure withholds it with them.
    Column("encounter_ids", ARRAY(Uuid), nullable=False, server_default="{}"),
    # Why the finding must be verified again (an encounter of its case was re-linked to another person).
    Column("needs_review", Text),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

timeline = Table(
    "case_timeline",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("detail", JSONB, nullable=False),
)

audit_trail = metadata.tables["audit_trail"]

# A legal hold stops any purge of the subject (all their records), of one case or of one encounter, until released.
legal_holds = Table(
    "legal_holds",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("subject_id", Uuid, index=True),
    Column("case_id", Uuid, index=True),
    Column("encounter_id", Uuid, index=True),
    Column("reason", Text, nullable=False),
    Column("placed_by", Text, nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("released_by", Text),
    Column("released_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False),
)

# Who may be given a case: a projection of the gateway's StaffChanged events (usernames, roles, programs,
# active; no password, no contact detail). Cases refuses an assignee it does not know here.
staff = Table(
    "staff",
    metadata,
    Column("username", Text, primary_key=True),
    Column("roles", ARRAY(Text), nullable=False),
    Column("programs", ARRAY(Text), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# A partner's extract request and the query case it follows, linked both ways when the extract's case opens
# (same subject, program and partner country): `kind` says which way the link reads from `case_id`.
case_links = Table(
    "case_links",
    metadata,
    Column("case_id", Uuid, ForeignKey("cases.id"), primary_key=True),
    Column("linked_case_id", Uuid, ForeignKey("cases.id"), primary_key=True, index=True),
    Column("kind", Text, nullable=False),  # follows (extract -> query) or followed-by (query -> extract)
    Column("linked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Re-links (redress): an encounter moved from the subject it was wrongly linked to; one row per encounter moved.
# Ids without foreign keys: retention purges the records, and the re-link rows of a purged encounter with them.
relinks = Table(
    "relinks",
    metadata,
    Column("relink_id", Uuid, primary_key=True),
    Column("encounter_id", Uuid, primary_key=True),
    Column("redress_id", Uuid, nullable=False),
    Column("from_subject_id", Uuid, nullable=False, index=True),
    Column("to_subject_id", Uuid, nullable=False, index=True),
    Column("from_case_ids", ARRAY(Uuid), nullable=False),
    Column("to_case_id", Uuid, nullable=False),
    Column("undoes", Uuid),
    Column("relinked_by", Text, nullable=False),
    Column("relinked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
