"""Admins change a user's roles and programs in the console, naming who approved it; a refusal (no approver, the
admin approving their own change) comes back on the form in the API's words with what was ticked. Bulletins show
every iteration as written."""

from __future__ import annotations

import uuid

from tests.unit.gateway.console_fake import FakeApi, console_client, csrf_of, forms_on, text_of

USER = {"username": "j.osei", "roles": ["analyst"], "programs": ["M5"], "failed_attempts": 0, "locked_until": None,
        "last_login_at": None, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "updated_by": "admin"}  # fmt: skip


def _fake() -> FakeApi:
    fake = FakeApi()
    for path in ("/api/v1/users/lapsing", "/api/v1/agreements", "/api/v1/holds"):
        fake.on("GET", path, [])
    fake.on("GET", "/api/v1/users", [USER])
    return fake


def test_an_admin_changes_roles_and_programs_with_an_approver_and_a_refusal_keeps_the_form() -> None:
    fake = _fake()
    admin = console_client(fake, "admin", {"admin"}, set())
    assert "/admin/users/j.osei/access" in admin.get("/admin").text
    page = admin.get("/admin/users/j.osei/access").text
    assert "/admin/users/j.osei/access" in forms_on(page)
    assert 'value="analyst" checked' in page and 'value="M5" checked' in page and 'value="PCSC">' in page
    token = csrf_of(admin, "/admin/users/j.osei/access")

    fake.on("PATCH", "/api/v1/users/j.osei", {"detail": "a change of roles or programs is approved by someone other "
            "than its maker or its user"}, status=422)  # fmt: skip
    form = {"roles": ["analyst", "supervisor"], "programs": ["M5", "PCSC"], "approved_by": "admin", "csrf_token": token}
    r = admin.post("/admin/users/j.osei/access", data=form)
    assert r.status_code == 422 and "approved by someone other than its maker" in r.text
    assert 'value="supervisor" checked' in r.text and 'value="PCSC" checked' in r.text  # what was ticked stays

    fake.on("PATCH", "/api/v1/users/j.osei", {**USER, "roles": ["analyst", "supervisor"]})
    r = admin.post("/admin/users/j.osei/access", data={**form, "approved_by": "m.chen"})
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    assert fake.sent("PATCH", "/api/v1/users/j.osei")[-1] == {
        "roles": ["analyst", "supervisor"],
        "programs": ["M5", "PCSC"],
        "approved_by": "m.chen",
    }


def test_only_admins_reach_the_form_and_an_unknown_user_is_a_page_not_found() -> None:
    fake = _fake()
    assert console_client(fake, "ana", {"analyst"}, {"M5"}).get("/admin/users/j.osei/access").status_code == 403
    assert console_client(fake, "admin", {"admin"}, set()).get("/admin/users/nobody/access").status_code == 404


def test_a_bulletin_shows_every_iteration_with_who_wrote_it() -> None:
    bid = str(uuid.uuid4())
    at = "2026-03-01T09:00:00Z"
    text = {"title": "Bus accident", "description": "d", "case_summary": "s", "services_provided": "p", "outcome": ""}
    fake = FakeApi()
    fake.on("GET", f"/api/v1/bulletins/{bid}", {**text, "id": bid, "author": "a.okafor", "status": "sent",
            "created_at": at, "sent_at": at, "approved_at": None, "updated_at": at, "updated_by": "a.okafor",
            "sent_by": "b.lind", "approved_by": None})  # fmt: skip
    fake.on("GET", f"/api/v1/bulletins/{bid}/iterations", [
        {**text, "bulletin_id": bid, "iteration": 1, "written_by": "a.okafor", "written_at": at},
        {**text, "title": "Bus accident, identified", "bulletin_id": bid, "iteration": 2, "written_by": "c.diaz",
         "written_at": at},
    ])  # fmt: skip
    page = text_of(console_client(fake, "ana", {"analyst"}, {"REPORTING"}).get(f"/bulletins/{bid}").text)
    assert "Iterations" in page and "Show iteration 2" in page and "Bus accident, identified" in page
    assert "c.diaz" in page and "by b.lind" in page
