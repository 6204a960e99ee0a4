"""Reporting turns events into counters only, suppresses small cells, and walks bulletins through their steps."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.reporting import domain
from shared.errors import Conflict
from shared.events import wrap
from shared.events.cases import EncounterAttached
from shared.events.intake import BatchImported

KEY = b"k" * 32
DAY = date(2026, 3, 2)  # a Monday
WHEN = datetime(2026, 3, 2, 23, 59, tzinfo=UTC)


def _attached(
    program: str = "PCSC", partner: str | None = "GRC", subject: uuid.UUID | None = None, owner: str | None = "DOS"
) -> EncounterAttached:
    return EncounterAttached(
        encounter_id=uuid.uuid4(),
        subject_id=subject or uuid.uuid4(),
        batch_id=uuid.uuid4(),
        program=program,
        upload_kind="partner-query",
        partner_country=partner,
        data_owner=owner,
    )


def _facts(event: object) -> domain.Facts:
    return domain.facts(wrap(event, producer="t", correlation_id="c", occurred_at=WHEN), event, digest_key=KEY)


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
        _facts(batch),
        _facts(_attached(subject=subject)),
        _facts(_attached(subject=subject)),
        _facts(_attached("KST", "GBR", owner=None)),
    ]
    counters = domain.merge([c for f in facts for c in f.counters])
    assert counters[(DAY, "PCSC", "-", "transactions")] == 10
    assert counters[(DAY, "PCSC", "-", "no_matches")] == 1
    assert counters[(DAY, "PCSC", "GRC", "matches")] == 2
    assert counters[(DAY, "KST", "GBR", "kst_matches")] == 1
    digests = {s.digest for f in facts for s in f.subjects}
    assert len(digests) == 2 and all(len(d) == 16 for d in digests)
    assert str(subject).encode() not in b"".join(digests)
    assert [o.data_owner for f in facts for o in f.owners] == ["DOS", "DOS", "UNKNOWN"]


def test_small_broken_down_counts_are_suppressed_but_totals_are_not() -> None:
    counters = {
        (DAY, "PCSC", "GRC", "matches"): 3,
        (DAY, "PCSC", "-", "no_matches"): 7,
        (DAY, "PCSC", "-", "transactions"): 10,
        (DAY, "M5", "AUS", "matches"): 12,
        (DAY, "M5", "-", "no_matches"): 0,
        (DAY, "M5", "-", "transactions"): 12,
    }
    subjects = {(DAY, "PCSC", "GRC"): 3, (DAY, "M5", "AUS"): 9}
    tables = domain.dosr_rows(counters, subjects, threshold=5)
    pcsc, m5 = (next(r for r in tables["daily"] if r["program"] == p) for p in ("PCSC", "M5"))
    assert pcsc["matches"] == "suppressed" and pcsc["subjects_processed"] == "suppressed"
    assert pcsc["match_rate"] == "suppressed" and pcsc["no_matches"] == 7 and pcsc["transactions"] == 10
    assert m5["matches"] == 12 and m5["no_matches"] == 0 and m5["match_rate"] == 1.0
    assert tables["by_partner"][0]["partner"] in {"AUS", "GRC"}
    assert tables["weekly"][0]["week"] == "2026-W10"
    (totals,) = tables["totals"]
    assert totals["matches"] == 15 and totals["subjects_processed"] == 12 and totals["match_rate"] == round(15 / 22, 4)


def test_zero_is_not_suppressed() -> None:
    assert domain.suppress(0, 5) == 0 and domain.suppress(4, 5) == "suppressed" and domain.suppress(5, 5) == 5


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
    from datetime import timedelta

    start, end = date(2026, 1, 1), date(2026, 3, 31)
    r = [
        {"received_on": date(2026, 1, 5), "closed_on": date(2026, 1, 15), "due_on": date(2026, 2, 4)},  # 10 d
        {"received_on": date(2026, 1, 20), "closed_on": date(2026, 3, 1), "due_on": date(2026, 2, 19)},  # 40 d
        {"received_on": date(2026, 2, 10), "closed_on": date(2026, 2, 14), "due_on": date(2026, 3, 12)},  # 4 d
        {"received_on": date(2026, 3, 30), "closed_on": None, "due_on": date(2026, 3, 30) + timedelta(30)},
    ]
    tables = domain.epr_rows(r, {"2026-02": (2, 7200)}, start, end)
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
    assert (jan["received"], jan["closed"], jan["average_days"]) == (2, 1, 10.0)
    (q1,) = tables["redress_by_quarter"]
    assert q1["period"] == "2026-Q1" and q1["closed"] == 3
    assert tables["disclosures_by_month"] == [
        {"month": "2026-02", "disclosures": 2, "average_hours_match_to_response": 1.0}
    ]


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
    f = _facts(sent)
    assert domain.merge(f.counters) == {
        (DAY, "UK-VISA", "GBR", "disclosures"): 1,
        (DAY, "UK-VISA", "GBR", "response_seconds"): 3 * 3600,
    }
    assert sorted((o.data_owner, o.amount) for o in f.owners) == [("CBP", 1), ("DOS", 2)]
