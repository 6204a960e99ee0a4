"""Who is told what: the notification rules (plain functions over the events) and the mail they make."""

from __future__ import annotations

import uuid
from datetime import date

from services.gateway import notifications
from shared.events.cases import CaseAssigned
from shared.events.disclosure import DisclosureReviewRequested, ReferralReplied
from shared.events.redress import RedressSlaNearing

CASE = uuid.UUID("2edfbe11-0000-4000-8000-000000000001")
DRAFT = uuid.UUID("abcdef12-0000-4000-8000-000000000002")


def test_an_assignee_hears_of_a_case_given_by_someone_else_but_not_of_one_they_took() -> None:
    [notice] = notifications.case_assigned(CaseAssigned(case_id=CASE, assignee="maria.k"), "supervisor")
    assert (notice.username, notice.kind, notice.record_id, notice.link) == (
        "maria.k",
        "case-assigned",
        str(CASE),
        f"/cases/{CASE}",
    )
    assert notice.label == "Case 2edfbe11 was assigned to you by supervisor"
    assert notifications.case_assigned(CaseAssigned(case_id=CASE, assignee="maria.k"), "maria.k") == []


def test_a_review_request_reaches_every_supervisor_of_the_program_but_the_drafter() -> None:
    event = DisclosureReviewRequested(draft_id=DRAFT, case_id=CASE, matched=True, program="PCSC")
    notices = notifications.review_requested(event, "sam", ["sam", "supervisor", "zoe"])
    assert [n.username for n in notices] == ["supervisor", "zoe"]
    assert notices[0].link == f"/disclosures/{DRAFT}" and "sam asks you to review draft abcdef12" in notices[0].label


def test_a_reply_reaches_the_analyst_who_made_the_referral_unless_they_recorded_it() -> None:
    event = ReferralReplied(
        referral_id=DRAFT, case_id=CASE, kind="tsc-notice", decision="keep", recipient_org="FBI-TSC", referred_by="ann"
    )
    [notice] = notifications.referral_replied(event, "bob")
    assert notice.username == "ann" and notice.label == 'FBI-TSC replied "keep" to your tsc-notice abcdef12'
    assert notifications.referral_replied(event, "ann") == []


def test_a_redress_request_near_its_sla_reaches_its_reviewers_or_whoever_opened_it() -> None:
    event = RedressSlaNearing(redress_id=CASE, due_on=date(2026, 12, 7), reviewers=["rev2", "rev1"], opened_by="ann")
    assert [n.username for n in notifications.redress_sla(event)] == ["rev1", "rev2"]
    lone = RedressSlaNearing(redress_id=CASE, due_on=date(2026, 12, 7), opened_by="ann")
    [notice] = notifications.redress_sla(lone)
    assert notice.username == "ann" and notice.label == "Redress request 2edfbe11 is due on 2026-12-07"


def test_the_mail_carries_the_label_and_a_link_only() -> None:
    body = notifications.message(
        sender="tracs@x.invalid",
        to="maria.k@tracs.example",
        label="Case 2edfbe11 was assigned to you",
        link="http://h/cases/1",
    ).decode()
    assert "Subject: TRACS: Case 2edfbe11 was assigned to you" in body and "http://h/cases/1" in body
