"""Reporting turns events into counters only, suppresses small cells, and walks bulletins through their steps."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.reporting import domain, suppression, tabulation
from shared.errors import Conflict
from shared.events.cases import AttachedRow, EncountersAttached, EncounterWithdrawn, tally_of
from shared.events.intake import BatchImported

KEY = b"k" * 32
DAY = date(2026, 3, 2)  # a Monday
WHEN = datetime(2026, 3, 2, 23, 59, tzinfo=UTC)


def _attached(
    program: str = "PCSC",
    partner: str | None = "GRC",
    subject: uuid.UUID | None = None,
    owner: str | None = "DOS",
    kst: bool = False,
) -> EncountersAttached:
    """A chunk answer from cases with one attached row."""
    row = AttachedRow(
        encounter_id=uuid.uuid4(),
        row_number=2,
        subject_id=subject or uuid.uuid4(),
        case_id=uuid.uuid4(),
        partner_country=partner,
        data_owner=owner,
        fast_matcher=kst,
        kst=kst,
    )
    return EncountersAttached(batch_id=uuid.uuid4(), chunk=0, program=program, upload_kind="partner-query", rows=[row])


def _facts(event: EncountersAttached) -> domain.Facts:
    """Reporting counts a chunk answer by its tally (cases computes it from the same rows)."""
    return domain.attachment_facts(WHEN.date(), event, tally_of(event.rows), digest_key=KEY)


def test_events_become_counters_keyed_by_codes_only() -> None:
    batch = BatchImported(
        batch_id=uuid.uuid4(),
        program="PCSC",
        upload_kind="partner-query",
        file_sha256="0" * 64,
        rows_total=10,
        rows_imported=7,
        rows_invalid=2,
        rows_no_match=1,
        confirmed_at=WHEN,
    )
    subject = uuid.uuid4()
    facts = [
        domain.batch_facts(WHEN.date(), batch),
        _facts(_attached(subject=subject)),
        _facts(_attached(subject=subject)),
        _facts(_attached("KST", "GBR", owner=None, kst=True)),
        # A KST match is read from the row's fast-matcher flag, in any program, not from the program's name.
        _facts(_attached("M5", "AUS", kst=True)),
    ]
    counters = domain.merge([c for f in facts for c in f.counters])
    assert counters[(DAY, "PCSC", "-", "transactions")] == 10
    assert counters[(DAY, "PCSC", "-", "no_matches")] == 1
    assert counters[(DAY, "PCSC", "GRC", "matches")] == 2
    assert counters[(DAY, "KST", "GBR", "kst_matches")] == 1 and counters[(DAY, "M5", "AUS", "kst_matches")] == 1
    assert (DAY, "PCSC", "GRC", "kst_matches") not in counters
    digests = {s.digest for f in facts for s in f.subjects}
    assert len(digests) == 3 and all(len(d) == 16 for d in digests)
    assert str(subject).encode() not in b"".join(digests)
    assert [o.data_owner for f in facts for o in f.owners] == ["DOS", "DOS", "UNKNOWN", "DOS"]


def test_an_encounter_withdrawn_at_its_owners_request_leaves_the_counts_of_the_day_it_was_attached() -> None:
    attached = _facts(_attached("KST", "GBR", owner="FBI-TSC", kst=True))
    row = _attached("KST", "GBR", owner="FBI-TSC", kst=True).rows[0]
    withdrawn = EncounterWithdrawn(
        encounter_id=row.encounter_id,
        subject_id=row.subject_id,
        program="KST",
        upload_kind="partner-query",
        partner_country="GBR",
        data_owner="FBI-TSC",
        attached_on=DAY,
        kst=True,
        requested_by="FBI-TSC",
    )
    facts = [attached, domain.withdrawal_facts(withdrawn)]
    counters = domain.merge([c for f in facts for c in f.counters])
    assert counters[(DAY, "KST", "GBR", "matches")] == 0 and counters[(DAY, "KST", "GBR", "kst_matches")] == 0
    assert sum(o.amount for f in facts for o in f.owners if o.data_owner == "FBI-TSC") == 0
    assert domain.withdrawal_facts(withdrawn).subjects == []  # a digest counts the person, not the encounter


def test_small_counts_by_program_or_partner_are_suppressed_and_so_are_the_totals_that_would_give_them() -> None:
    per_program = {
        (DAY, "PCSC", "no_matches"): 7,
        (DAY, "PCSC", "transactions"): 10,
        (DAY, "PCSC", "distinct_subjects"): 3,
        (DAY, "M5", "no_matches"): 0,
        (DAY, "M5", "transactions"): 12,
        (DAY, "M5", "distinct_subjects"): 9,
    }
    per_partner = {(DAY, "PCSC", "GRC"): 3, (DAY, "M5", "AUS"): 12}
    built = tabulation.dosr(per_program, per_partner, DAY, DAY, threshold=5)
    tables = built.tables
    pcsc, m5 = (next(r for r in tables["daily"] if r["program"] == p) for p in ("PCSC", "M5"))
    assert pcsc["matches"] == "suppressed" and pcsc["subjects_processed"] == "suppressed"
    assert pcsc["match_rate"] == "suppressed" and pcsc["no_matches"] == 7 and pcsc["transactions"] == 10
    # PCSC's 3 matches are its whole week: M5's week, the only other one, hides it from the week's total,
    # and so M5's only day and partner are hidden too. The total of both (15) gives neither away.
    assert m5["matches"] == "suppressed" and m5["no_matches"] == 0 and m5["match_rate"] == "suppressed"
    assert {(r["program"], r["matches"]) for r in tables["weekly"]} == {("PCSC", "suppressed"), ("M5", "suppressed")}
    assert tables["weekly"][0]["week"] == "2026-W10" and tables["weekly"][0]["days"] == 1
    (totals,) = tables["totals"]
    assert totals["matches"] == 15 and totals["transactions"] == 22 and totals["no_matches"] == 7
    assert {(r["partner"], r["matches"]) for r in tables["by_partner"]} == {
        ("GRC", "suppressed"),
        ("AUS", "suppressed"),
    }
    assert built.series[0].title == "Matches per program, daily"
    assert built.series[0].lines == {"M5": [None], "PCSC": [None]}  # gaps, not zeros
    assert built.series[1].lines == {"M5": [0.0], "PCSC": [7.0]}


def test_zero_is_not_suppressed_and_a_hidden_cell_never_stands_alone() -> None:
    tree = suppression.Tree()
    for day, n in ((DAY, 0), (DAY.replace(day=3), 4), (DAY.replace(day=4), 5), (DAY.replace(day=5), 30)):
        tree.add(suppression.week_path(day, "M5"), n)
    hidden = suppression.protect(tree, 5)
    assert ("DP", DAY, "M5") not in hidden and ("DP", DAY.replace(day=3), "M5") in hidden
    assert ("DP", DAY.replace(day=4), "M5") in hidden  # the smallest sibling that hides the 4
    assert ("DP", DAY.replace(day=5), "M5") not in hidden and ("WP", "2026-W10", "M5") not in hidden


def test_bulletins_go_draft_sent_approved_and_nothing_else() -> None:
    assert domain.bulletin_transition("send", "draft") == (domain.BulletinStatus.SENT, "sent_at")
    assert domain.bulletin_transition("approve", "sent") == (domain.BulletinStatus.APPROVED, "approved_at")
    with pytest.raises(Conflict, match="only from sent"):
        domain.bulletin_transition("approve", "draft")
    with pytest.raises(Conflict):
        domain.bulletin_transition("send", "approved")
    domain.check_editable("draft")
    with pytest.raises(Conflict, match="only draft"):
        domain.check_editable("sent")


def test_epr_processing_times_backlog_and_sla_share() -> None:
    start, end = date(2026, 1, 1), date(2026, 3, 31)
    requests = [  # received, closed, due
        (date(2026, 1, 5), date(2026, 1, 15), date(2026, 2, 4)),  # 10 days
        (date(2026, 1, 20), date(2026, 3, 1), date(2026, 2, 19)),  # 40 days, late
        (date(2026, 2, 10), date(2026, 2, 14), date(2026, 3, 12)),  # 4 days
        (date(2026, 3, 30), None, date(2026, 4, 29)),
    ]
    days: dict = {}
    for received, closed, due in requests:
        days[(received, "received")] = days.get((received, "received"), 0) + 1
        if closed:
            for metric, n in (
                ("closed", 1),
                ("closed_days", (closed - received).days),
                ("closed_within", int(closed <= due)),
            ):
                days[(closed, metric)] = days.get((closed, metric), 0) + n
    durations = [(c, (c - r).days) for r, c, _ in requests if c]
    disclosures = {(date(2026, 2, 3), "disclosures"): 2, (date(2026, 2, 3), "response_seconds"): 7200}
    # A threshold of 1 suppresses nothing: the arithmetic itself.
    spans = tabulation.closing_histograms(durations, start, end)
    tables = tabulation.epr(days, {}, spans, disclosures, start, end, threshold=1).tables
    (totals,) = tables["redress_totals"]
    assert totals == {
        "received": 4,
        "closed": 3,
        "open_backlog_at_end": 1,
        "average_days": 18.0,
        "median_days": 10,
        "longest_days": 40,
        "within_sla": round(2 / 3, 4),
    }
    jan = next(m for m in tables["redress_by_month"] if m["period"] == "2026-01")
    assert (jan["received"], jan["closed"], jan["average_days"], jan["open_at_end"]) == (2, 1, 10, 1)
    (q1,) = tables["redress_by_quarter"]
    assert q1["period"] == "2026-Q1" and q1["closed"] == 3
    feb = next(m for m in tables["disclosures_by_month"] if m["month"] == "2026-02")
    assert feb == {"month": "2026-02", "disclosures": 2, "average_hours_match_to_response": 1}
    # At the default threshold every one of these small counts is hidden, and nothing gives them away.
    hidden = tabulation.epr(days, {}, spans, disclosures, start, end, threshold=5).tables
    assert hidden["redress_totals"][0]["received"] == "suppressed"
    assert hidden["redress_totals"][0]["average_days"] == "suppressed"
    assert all(r["open_at_end"] == "suppressed" for r in hidden["redress_by_month"])


def test_a_disclosure_counts_per_owner_shared_and_its_response_time() -> None:
    from shared.events.disclosure import DisclosureSent

    sent = DisclosureSent(
        accounting_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        program="UK-VISA",
        partner_country="GBR",
        matched=True,
        sent_at=WHEN,
        case_opened_at=WHEN.replace(hour=20),
        shared_by_owner={"DOS": 2, "CBP": 1},
    )
    f = domain.disclosure_facts(WHEN.date(), sent)
    assert domain.merge(f.counters) == {
        (DAY, "UK-VISA", "GBR", "disclosures"): 1,
        (DAY, "UK-VISA", "GBR", "response_seconds"): 3 * 3600,
    }
    assert sorted((o.data_owner, o.amount) for o in f.owners) == [("CBP", 1), ("DOS", 2)]


def test_a_redress_request_counts_on_the_day_received_and_once_closed_on_the_day_closed() -> None:
    open_ = {"received_on": date(2026, 1, 5), "due_on": date(2026, 2, 4), "closed_on": None}
    assert domain.redress_counts(open_) == {(date(2026, 1, 5), "received"): 1}
    closed = {**open_, "closed_on": date(2026, 2, 10)}  # six days late
    assert domain.redress_counts(closed) == {
        (date(2026, 1, 5), "received"): 1,
        (date(2026, 2, 10), "closed"): 1,
        (date(2026, 2, 10), "closed_days"): 36,
        (date(2026, 2, 10), "closed_within"): 0,
    }


def test_median_and_longest_days_to_close_come_from_monthly_histograms() -> None:
    durations = [(date(2026, 1, d), n) for d, n in ((3, 4), (9, 10), (20, 40), (21, 7))]
    months = tabulation.closing_histograms(durations, date(2026, 1, 1), date(2026, 1, 31))
    assert months == {"2026-01": {4: 1, 10: 1, 40: 1, 7: 1}}
    assert tabulation._median_and_longest(months, date(2026, 1, 1), date(2026, 1, 31)) == (8.5, 40)
    odd = tabulation.closing_histograms(durations[:3], date(2026, 1, 1), date(2026, 1, 31))
    assert tabulation._median_and_longest(odd, date(2026, 1, 1), date(2026, 1, 31)) == (10, 40)
