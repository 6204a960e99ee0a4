"""Access lapsing with training in the console: a warning on every page in the warning period, and the admins'
list of who lapses soon with a form to record training."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from shared.auth import Principal, issue_token
from tests.unit.gateway.console_fake import SECRET, FakeApi, console_client, csrf_of, forms_on


def _with_training(client: TestClient, lapses: date) -> TestClient:
    principal = Principal("maria.k", frozenset({"admin"}), frozenset())
    token = issue_token(
        principal, secret=SECRET, issuer="tracs-gateway", ttl_seconds=600, extra={"trn": lapses.isoformat()}
    )
    client.cookies.set("tracs_session", token)
    return client


def test_every_page_warns_within_the_warning_period_and_not_before() -> None:
    fake = FakeApi()
    for path in ("/api/v1/users", "/api/v1/users/lapsing", "/api/v1/agreements", "/api/v1/holds"):
        fake.on("GET", path, [])
    soon = date.today() + timedelta(days=12)
    client = _with_training(console_client(fake, "maria.k", {"admin"}, set()), soon)
    page = client.get("/admin").text
    assert f"Your annual privacy training lapses on {soon.isoformat()} (12 days)" in page
    client = _with_training(console_client(fake, "maria.k", {"admin"}, set()), date.today() + timedelta(days=90))
    assert 'id="training-notice"' not in client.get("/admin").text


def test_admins_see_who_lapses_soon_and_record_training() -> None:
    fake = FakeApi()
    user = {"username": "old.hand", "roles": ["analyst"], "programs": ["M5"], "training_completed_on": "2025-01-10",
            "training_lapses_on": "2026-01-10", "lapsed": True}  # fmt: skip
    fake.on("GET", "/api/v1/users", [])
    fake.on("GET", "/api/v1/users/lapsing", [user])
    admin = console_client(fake, "admin", {"admin"}, set())
    page = admin.get("/admin").text
    assert "Access lapsing with training" in page and "old.hand" in page and '<span class="badge">lapsed</span>' in page
    assert "/admin/users/training" in forms_on(page)
    fake.on("PATCH", "/api/v1/users/old.hand", {**user, "training_completed_on": "2026-01-05"})
    form = {"username": "old.hand", "training_completed_on": "2026-01-05", "csrf_token": csrf_of(admin, "/admin")}
    r = admin.post("/admin/users/training", data=form)
    assert r.status_code == 303 and fake.sent("PATCH", "/api/v1/users/old.hand") == [
        {"training_completed_on": "2026-01-05"}
    ]


def test_stored_reports_are_listed_and_downloaded_as_the_api_kept_them() -> None:
    fake = FakeApi()
    rid = "0b7c3f0e-8a51-4d59-9b0e-4c1b7f1e2a10"
    fake.on("GET", "/api/v1/reports/stored", [{"id": rid, "kind": "dosr", "period_start": "2026-11-23",
            "period_end": "2026-11-29", "threshold": 5, "generated_at": "2026-11-30T00:00:05Z",
            "generated_by": "report-schedule"}])  # fmt: skip
    reader = console_client(fake, "ana", {"analyst"}, {"REPORTING"})
    page = reader.get("/reports/stored").text
    assert "DOSR" in page and "2026-11-23 \u2013 2026-11-29" in page and f"/reports/stored/{rid}.pdf" in page
    fake.on("GET", f"/api/v1/reports/stored/{rid}", {"title": "as stored"})
    r = reader.get(f"/reports/stored/{rid}.csv")
    assert r.status_code == 200 and fake.params("GET", f"/api/v1/reports/stored/{rid}") == [{"format": "csv"}]
    assert reader.get(f"/reports/stored/{rid}.exe").status_code == 404
