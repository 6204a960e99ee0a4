"""Disclosure's own tables: agreements (append-only versions), recipients, drafts, the accounting, and a
non-personal projection of cases (ids, programs, owners, flags)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared import policy
from shared.disposal import hold_table
from shared.runtime import service_metadata

metadata, outbox, inbox = service_metadata()
# Cases' legal holds with what each covers (ids only): a held accounting row, draft or notice is never disposed of.
legal_holds = hold_table(metadata)

encounter_projection = Table(
    "encounter_projection",
    metadata,
    Column("encounter_id", Uuid, primary_key=True),
    Column("subject_id", Uuid, nullable=False, index=True),
    Column("program", Text, nullable=False),
    Column("data_owner", Text),
    Column("partner_country", Text),
    Column("protected_class", Text),
    Column("special_protected", Boolean, nullable=False),
    Column("projected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

agreements = Table(
    "agreements",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("current_version", Integer, nullable=False),  # the newest version, approved or not
    Column("approved_version", Integer),  # the one version that governs drafts and sends; none until approved
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False, server_default="system"),
)

# Every change is a new row; a disclosure records the exact version it was made under.
agreement_versions = Table(
    "agreement_versions",
    metadata,
    Column("agreement_id", Uuid, ForeignKey("agreements.id"), nullable=False),
    Column("version", Integer, nullable=False),
    # A foreign partner names its country; a DHS Component, TSC, DOS or another USG agency names none.
    Column("partner_country", Text),
    Column("partner_agency", Text, nullable=False),
    Column("program", Text, nullable=False),
    Column("data_owners", ARRAY(Text), nullable=False),
    Column("ous", ARRAY(Text), nullable=False),
    Column("fields", ARRAY(Text), nullable=False),
    Column("di_categories", ARRAY(Text), nullable=False),
    Column("protected_classes", ARRAY(Text), nullable=False),
    Column("caveat", Text, nullable=False),
    Column("purposes", ARRAY(Text), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("recipient_kind", Text, nullable=False, server_default="foreign-partner"),
    # Re-dissemination and use limits: they travel with every release made under the version (issue 28).
    Column("use_limits", Text, nullable=False, server_default=""),
    # Approvals by supervisors other than the drafter a response needs (the two-person rule: never below 1).
    Column("approvals_required", Integer, nullable=False, server_default="1"),
    Column("change_note", Text, nullable=False),
    Column("changed_by", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # draft -> approved (by a privacy officer, never its author) or rejected; approved -> retired when replaced.
    Column("status", Text, nullable=False, server_default="draft"),
    Column("reviewed_by", Text),
    Column("reviewed_at", DateTime(timezone=True)),
    Column("review_note", Text),
    PrimaryKeyConstraint("agreement_id", "version"),
    CheckConstraint("status IN ('draft', 'approved', 'rejected', 'retired')", name="ck_agreement_versions_status"),
)

recipients = Table(
    "recipients",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("agreement_id", Uuid, ForeignKey("agreements.id"), nullable=False, index=True),
    Column("person", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("certificate_pem", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    # A person who left the partner agency (or whose address changed): never deleted, since the accounting
    # names them; retired recipients are refused for new drafts and for sending.
    Column("retired_at", DateTime(timezone=True)),
    Column("retired_by", Text),
    Column("retired_reason", Text),
)

VERSION_FIELDS = (
    "partner_country",
    "partner_agency",
    "program",
    "data_owners",
    "ous",
    "fields",
    "di_categories",
    "protected_classes",
    "caveat",
    "purposes",
    "valid_from",
    "valid_to",
    "recipient_kind",
    "use_limits",
    "approvals_required",
)


# Read model of cases, built from events (disclosure never reads cases' tables): ids, programs, partners, owners
# and flags, for scoping, lists and notifications. No imported values: a draft asks cases for them (issue 17).
case_view = Table(
    "case_view",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("subject_id", Uuid, nullable=False, index=True),
    Column("program", Text, nullable=False),
    Column("partner_country", Text),
    Column("partner_transaction_number", Text),
    Column("matched", Boolean, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
)

case_members = Table(
    "case_members",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("encounter_id", Uuid, primary_key=True),
)

encounter_flags = Table(
    "encounter_flags",
    metadata,
    Column("encounter_id", Uuid, primary_key=True),
    Column("flag", Text, primary_key=True),
    Column("value", JSONB, nullable=False),
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("agreement_id", Uuid, nullable=False),
    Column("agreement_version", Integer, nullable=False),
    Column("recipient_id", Uuid, ForeignKey("recipients.id"), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("released", JSONB, nullable=False),
    Column("withheld", JSONB, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False, server_default="system"),
    # The response's result as the analyst concluded it: a no-match response releases nothing.
    Column("matched", Boolean, nullable=False, server_default=text("true")),
    # A supervisor drafted before the case was ready: reason, who, when, what was missing.
    Column("readiness_override", JSONB),
    Column("repeat_reason", Text),  # the case was disclosed to this partner before: why again
    Column("approvals_required", Integer, nullable=False, server_default="1"),
)

# Every step of a draft's review (review-requested, sent-back, approved, sent), with the digest of the body the
# step saw: an approval is of exactly what will leave.
draft_reviews = Table(
    "draft_reviews",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("draft_id", Uuid, ForeignKey("drafts.id"), nullable=False, index=True),
    Column("step", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("comment", Text),
    Column("body_digest", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The accounting of disclosures (Privacy Act 552a(c), PIA 6.4): one row per response, written `pending`
# before the message is handed to the relay and made `sent` after, so nothing leaves unaccounted. `failed`
# rows (the relay refused it) are attempts, not disclosures; a draft has at most one pending-or-sent row.
# A message that left by another path has no draft: redress's notice to a system owner (`kind`
# redress-owner-notice, one row per subject of its records) is accounted `sent`, never re-sent, audited against
# an agreement or listed for correction and removal notices (the owner is the source of the record).
ACCOUNTED = ("pending", "sent")
REDRESS_OWNER_NOTICE = "redress-owner-notice"
# A draft's row names its case, recipient, agreement and body; a row without a draft is a redress owner notice.
ACCOUNTING_SOURCE = (
    "(draft_id IS NOT NULL AND case_id IS NOT NULL AND recipient_id IS NOT NULL AND recipient_person IS NOT NULL"
    " AND recipient_email IS NOT NULL AND agreement_id IS NOT NULL AND agreement_version IS NOT NULL"
    " AND digest IS NOT NULL AND kind IS NULL)"
    " OR (draft_id IS NULL AND kind = 'redress-owner-notice' AND owner_notice_id IS NOT NULL)"
    # An owner's report (DOS's, PIA 3.1) is one message about many subjects: one row per subject it itemises.
    " OR (draft_id IS NULL AND kind = 'owner-report' AND report_id IS NOT NULL AND recipient_id IS NOT NULL"
    " AND agreement_id IS NOT NULL AND agreement_version IS NOT NULL AND digest IS NOT NULL)"
)
OWNER_REPORT = "owner-report"

accounting = Table(
    "accounting",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("draft_id", Uuid, ForeignKey("drafts.id")),
    Column("case_id", Uuid),
    Column("subject_id", Uuid, nullable=False, index=True),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("nature", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("recipient_id", Uuid, index=True),
    Column("recipient_agency", Text, nullable=False),
    Column("recipient_person", Text),
    Column("recipient_email", Text),
    Column("analyst", Text, nullable=False),
    Column("agreement_id", Uuid),
    Column("agreement_version", Integer),
    Column("matched", Boolean, nullable=False),
    Column("digest", Text),
    Column("encounter_ids", ARRAY(Uuid), nullable=False),
    Column("fields", ARRAY(Text), nullable=False),
    Column("state", Text, nullable=False, server_default="sent"),
    Column("message_id", Text),
    # SHA-256 of the sealed bytes; the bytes themselves are kept so a re-delivery is the very same message.
    Column("message_digest", Text),
    Column("message", LargeBinary),
    # What to record and announce once the message has left: owner notifications, the DisclosureSent event.
    Column("on_sent", JSONB),
    Column("delivered_at", DateTime(timezone=True)),
    Column("failure", Text),
    Column("repeat_reason", Text),
    Column("approved_by", ARRAY(Text)),
    # Set when no draft made the row: what it is, and redress's notice and request it accounts.
    Column("kind", Text),
    Column("owner_notice_id", Uuid),
    Column("redress_id", Uuid),
    Column("report_id", Uuid, index=True),  # the owner's report (owner_report_sends) the row itemises
    Index("uq_accounting_draft_accounted", "draft_id", unique=True, postgresql_where=text("state <> 'failed'")),
    Index("ix_accounting_pending", "id", postgresql_where=text("state = 'pending'")),
    Index(
        "uq_accounting_owner_notice",
        "owner_notice_id",
        "subject_id",
        unique=True,
        postgresql_where=text("owner_notice_id IS NOT NULL"),
    ),
    CheckConstraint(ACCOUNTING_SOURCE, name="ck_accounting_source"),
)


# Recipients to tell when data they received was corrected (Privacy Act 552a(c)(4)).
correction_notices = Table(
    "correction_notices",
    metadata,
    Column("correction_id", Uuid, primary_key=True),
    Column("accounting_id", Uuid, ForeignKey("accounting.id"), primary_key=True),
    # What made the correction: a redress request, or a recipient's report of a possible inaccuracy.
    Column("redress_id", Uuid, index=True),
    Column("report_id", Uuid, index=True),
    Column("encounter_id", Uuid, nullable=False, index=True),
    Column("field", Text, nullable=False),
    Column("recipient_email", Text, nullable=False),
    Column("recipient_agency", Text, nullable=False),
    Column("disclosed_at", DateTime(timezone=True), nullable=False),
    Column("listed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Data-owner notifications (PIA 3.1, 6.1): each owner hears only about its own encounters; FBI-TSC hears of
# every match on its records whether or not anything was shared.
owner_notifications = Table(
    "owner_notifications",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("data_owner", Text, nullable=False, index=True),
    Column("case_id", Uuid, nullable=False),
    Column("encounter_ids", ARRAY(Uuid), nullable=False),
    Column("shared", Boolean, nullable=False),
    Column("partner_country", Text),
    Column("accounting_id", Uuid),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


# Referrals and notices to the owners of the data (PIA 3.1, 6.1): a Component data owner, TSC, DOS or another
# USG agency. What was sent is a draft of the same filtered rendering as a partner response, sent and accounted
# the same way (`draft_id` -> `accounting`); the reply is recorded here with who recorded it and when.
referrals = Table(
    "referrals",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("encounter_ids", ARRAY(Uuid), nullable=False),
    Column("recipient_org", Text, nullable=False, index=True),
    Column("recipient_id", Uuid, ForeignKey("recipients.id")),
    Column("draft_id", Uuid, ForeignKey("drafts.id"), unique=True),
    Column("reason", Text, nullable=False),
    Column("reply_within_days", Integer, nullable=False),
    Column("reply_decision", Text),
    Column("reply_note", Text),
    Column("replied_on", Date),
    Column("reply_recorded_by", Text),
    Column("reply_recorded_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
)

# Past recipients of an encounter its owner had removed (TSC's "remove"): they must be told, like a correction.
removal_notices = Table(
    "removal_notices",
    metadata,
    Column("encounter_id", Uuid, primary_key=True),
    Column("accounting_id", Uuid, ForeignKey("accounting.id"), primary_key=True),
    Column("referral_id", Uuid),
    Column("requested_by", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("recipient_email", Text, nullable=False),
    Column("recipient_agency", Text, nullable=False),
    Column("disclosed_at", DateTime(timezone=True), nullable=False),
    Column("listed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


# A recipient's report of a possible inaccuracy in what it received (PIA 2.5: "if a recipient notifies OBIM of a
# possible inaccuracy, OBIM coordinates with the data owner for resolution"). Not a redress request: the recipient is
# an agreement's, the report is about a disclosure. Resolved by a correction the owner confirmed (applied in cases,
# listed for every past recipient) or a documented "no change"; answered by a draft sent like any disclosure.
inaccuracy_reports = Table(
    "inaccuracy_reports",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("accounting_id", Uuid, ForeignKey("accounting.id"), nullable=False, index=True),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("subject_id", Uuid, nullable=False),
    Column("encounter_id", Uuid, nullable=False, index=True),
    Column("recipient_id", Uuid, ForeignKey("recipients.id"), nullable=False),
    Column("agreement_id", Uuid, nullable=False),
    Column("recipient_agency", Text, nullable=False),
    Column("field", Text),  # the field they say is wrong, when they name one
    Column("description", Text, nullable=False),  # what they say is wrong, in their words
    Column("received_on", Date, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("resolution", Text),  # correction | no-change
    Column("resolution_note", Text),
    Column("resolved_by", Text),
    Column("resolved_at", DateTime(timezone=True)),
    Column("correction_id", Uuid, unique=True),
    Column("corrected_field", Text),  # the field name only: the value is in cases
    Column("data_owner", Text),  # the owner who confirmed the correction in its system of origin
    Column("correction_applied_at", DateTime(timezone=True)),
    Column("answer_draft_id", Uuid, ForeignKey("drafts.id"), unique=True),
    CheckConstraint("resolution IS NULL OR resolution IN ('correction', 'no-change')", name="ck_inaccuracy_resolution"),
)

# An owner's report sent as a disclosure (PIA 3.1: DOS's report of its encounters subsequently shared): the items
# are frozen when drafted, reviewed by a second person, sealed, accounted per subject, then sent.
owner_report_sends = Table(
    "owner_report_sends",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("recipient_id", Uuid, ForeignKey("recipients.id"), nullable=False),
    Column("agreement_id", Uuid, nullable=False),
    Column("agreement_version", Integer, nullable=False),
    Column("period_from", Date, nullable=False),
    Column("period_to", Date, nullable=False),
    Column("items", JSONB, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", Text, nullable=False),  # draft, in-review, approved, sending, sent
    Column("approvals_required", Integer, nullable=False, server_default="1"),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    Column("sent_by", Text),
    Column("message_id", Text),
    Column("message", LargeBinary),  # the sealed bytes while pending: a re-delivery is the very same message
    Column("failure", Text),
)

owner_report_reviews = Table(
    "owner_report_reviews",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("report_id", Uuid, ForeignKey("owner_report_sends.id"), nullable=False, index=True),
    Column("step", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("comment", Text),
    Column("body_digest", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def visible_cases() -> Any:
    """The cases of the caller's programs, as a subquery; None when the caller is not program-scoped."""
    if (programs := policy.visible_programs()) is None:
        return None
    return select(case_view.c.case_id).where(case_view.c.program.in_(sorted(programs)))


def told_of_records() -> Any:
    """Accounting rows whose recipient received something of the records they name, so is told when one is
    corrected, removed or deleted: a draft's (response, referral, notice, answer) and an owner's report (which
    itemised the encounters with their identifiers); not redress's notice to the records' own system owner."""
    return or_(accounting.c.draft_id.is_not(None), accounting.c.kind == OWNER_REPORT)
