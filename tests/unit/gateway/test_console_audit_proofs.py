"""The audit trail page shows each entry's proof status as the gateway decided it: proven (with its leaf and the
checkpoint it is proven in), sequenced, not yet sequenced, unknown, and a failed verification as an alert naming
the entry."""

from __future__ import annotations

import html
import re
from typing import Any

from services.gateway.proof_status import ProofStatus, unknown
from tests.unit.gateway.console_fake import FakeApi, console_client

NOTE = "tracs/audit/cases\n12\nq0Vn3m1eYkR9cRZr6u1iN1dMZ0p7m1Bk3pdtP5Z2yWk=\n\n— tracs/audit/cases AbCdEf012345=\n"


def _entry(
    seq: int | None, service: str, proof: ProofStatus, action: str = "case:read GET /api/v1/cases/{case_id}"
) -> dict[str, Any]:
    return {"seq": seq, "service": service, "at": "2026-12-04T10:00:00+00:00", "actor": "analyste.zoë",
            "action": action, "record_type": "case", "record_id": "case-7", "fields": [], "outcome": "allowed",
            "proof": proof.as_json()}  # fmt: skip


PROVEN = ProofStatus("proven", "proven in checkpoint of size 12, cosigned by the witness", 12, 4, True, NOTE)
SEQUENCED = ProofStatus("sequenced", "sequenced as entry 13, not yet under a checkpoint the witness cosigned")
UNSEQUENCED = ProofStatus("unsequenced", "not yet sequenced")
FAILED = ProofStatus(
    "failed", "verification failed", checkpoint=NOTE, problem="entry 9 is not proven in the checkpoint of 12"
)


def _page(entries: list[dict[str, Any]]) -> tuple[FakeApi, str]:
    """The entries as the calls of one action each, as `/api/v1/audit/actions` answers."""
    fake = FakeApi()
    items = [{**e, "action": "viewed case", "calls": [{**e, "method": "GET", "path": "/api/v1/cases/case-7"}]}
             for e in entries]  # fmt: skip
    fake.on("GET", "/api/v1/audit/actions", {"items": items, "total": len(items), "page": 1, "pages": 1, "size": 50})
    page = console_client(fake, "auditor", {"auditor"}, set()).get("/audit-trail", params={"record": "case:case-7"})
    assert page.status_code == 200
    return fake, html.unescape(page.text)


def test_each_entry_shows_its_proof_status_and_a_proven_one_its_leaf_and_checkpoint() -> None:
    fake, text = _page(
        [
            _entry(13, "cases", SEQUENCED),
            _entry(5, "cases", PROVEN),
            _entry(None, "gateway", UNSEQUENCED),
            _entry(2, "redress", unknown("the redress service did not return its proofs (503)")),
        ]
    )
    asked = [{"record": "case:case-7", "page": "1", "size": "50", "proofs": "true"}]
    assert fake.params("GET", "/api/v1/audit/actions") == asked
    proven = "proven in checkpoint of size 12, cosigned by the witness: entry 5 of the cases trail, leaf index 4 of 12"
    assert proven in text
    assert '<a href="#cp-cases">the checkpoint</a>' in text
    assert '<h3 id="cp-cases">cases</h3>' in text and NOTE in text
    assert "sequenced as entry 13, not yet under a checkpoint the witness cosigned" in text
    assert "not yet sequenced" in text
    assert "proof status unavailable: the redress service did not return its proofs (503)" in text
    assert 'role="alert"' not in text  # an unknown status is not a failure


def test_a_failed_verification_is_an_alert_naming_the_entry() -> None:
    _, text = _page([_entry(5, "cases", PROVEN), _entry(9, "cases", FAILED, action="case:update PATCH /x")])
    alert = re.search(r'<div class="flash flash-error" role="alert" id="proof-failures">(.*?)</div>', text, re.S)
    assert alert is not None
    assert "1 entry failed verification" in alert[1]
    assert "entry 9 of the cases trail" in alert[1] and "case:update PATCH /x" in alert[1]
    assert "entry 9 is not proven in the checkpoint of 12" in alert[1]


def test_the_entries_table_scrolls_in_its_own_labelled_region_and_the_checkpoint_is_reachable_by_keyboard() -> None:
    _, text = _page([_entry(5, "cases", PROVEN)])
    assert '<div class="scroll" tabindex="0" role="region" aria-label="Audit actions">' in text
    assert '<th scope="col">Calls behind it</th>' in text
    assert 'tabindex="0" role="region" aria-label="Checkpoint of the cases trail">' in text
