"""The case queue page against a fake API: every filter, "my cases", the sort and the page number travel in
the URL and come back in the form; headers sort by link with aria-sort; page numbers come with the count; a
refused sort or page is said in words; a case id goes to its case."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.gateway.console import queue
from services.gateway.console.queue import QueueRefused, age_days, aria_sort, next_sort, page_numbers, page_offset
from shared.web import MAX_OFFSET
from tests.unit.gateway.console_fake import FakeApi, console_client, text_of

CASE = "3f2a9c1e-0b7d-4e58-9a61-2c4d8e0f1b23"


def _case(case_id: str = CASE, **extra: Any) -> dict[str, Any]:
    opened = (datetime.now(UTC) - timedelta(days=3, hours=1)).isoformat()
    return {"id": case_id, "subject_id": str(uuid.uuid4()), "program": "M5", "status": "in-review",
            "assignee": "a.diaz", "partner_country": "AUS", "partner_unique_id": "AU-77",
            "partner_transaction_number": "TX-77", "opened_at": opened, "stale": False, "fin": "48213377",
            "last_name": "Иванова", "first_name": "Анна", "flags": ["derogatory", "protected-class"],
            **extra}  # fmt: skip


def _queue(*items: dict[str, Any], next_cursor: str | None = None) -> FakeApi:
    fake = FakeApi()
    fake.on("GET", "/api/v1/cases", {"items": list(items), "next_cursor": next_cursor})
    return fake


def _client(fake: FakeApi) -> Any:
    return console_client(fake, "a.diaz", {"analyst"}, {"M5", "PCSC"})


def test_the_queue_shows_what_an_analyst_scans_and_asks_newest_first_by_default() -> None:
    fake = _queue(_case())
    page = _client(fake).get("/cases")
    assert page.status_code == 200
    row = page.text[page.text.index("<tbody>") :]
    for shown in ("3f2a9c1e", "Иванова, Анна", "48213377", "M5", "AUS", "AU-77", "TX-77", "in-review", "a.diaz"):
        assert shown in text_of(row), shown
    assert re.search(r'<time datetime="[^"]+">3</time>', row)
    assert '<span class="badge" data-badge="derogatory">derogatory</span>' in row and ">protected</span>" in row
    assert fake.params("GET", "/api/v1/cases") == [{"sort": "-opened", "limit": "50"}]
    assert '<div class="scroll" tabindex="0" role="region" aria-label="Cases found">' in page.text


def test_every_filter_my_cases_and_the_sort_come_back_in_the_form_and_reach_the_api() -> None:
    fake = _queue(_case())
    url = "/cases?status=in-review&program=M5&flag=derogatory&partner=AUS&fin=48213377&transaction=TX-77"
    url += "&mine=1&sort=status"
    page = _client(fake).get(url).text
    for control in ('<option selected>in-review</option>', '<option selected>M5</option>',
                    '<option selected>derogatory</option>', 'name="partner" value="AUS"', 'name="fin" value="48213377"',
                    'name="transaction" value="TX-77"', 'name="mine" value="1" checked',
                    '<option value="status" selected>'):  # fmt: skip
        assert control in page, control
    asked = {"status": "in-review", "program": "M5", "flag": "derogatory", "partner": "AUS", "fin": "48213377",
             "transaction": "TX-77", "assignee": "a.diaz", "sort": "status", "limit": "50"}  # fmt: skip
    assert fake.params("GET", "/api/v1/cases") == [asked]
    # The count and the page links keep every filter, "my cases" (not the name it stands for) and the sort.
    count_url = re.search(r'hx-get="(/cases/count\?[^"]+)"', page)
    assert count_url and "mine=1" in count_url[1] and "sort=status" in count_url[1] and "assignee" not in count_url[1]


def test_headers_sort_by_link_and_say_which_way_with_aria_sort() -> None:
    page = _client(_queue(_case())).get("/cases?sort=-status&fin=1").text
    assert re.search(
        r'<th scope="col" aria-sort="descending">\s*<a href="/cases\?fin=1&amp;sort=status">Status</a>', page
    )
    assert re.search(r'<th scope="col">\s*<a href="/cases\?fin=1&amp;sort=-opened">Age \(days\)</a>', page)
    newest = _client(_queue(_case())).get("/cases").text  # newest first: the age column ascends
    assert re.search(r'<th scope="col" aria-sort="ascending">\s*<a href="/cases\?sort=opened">Age', newest)


def test_a_refused_sort_is_said_in_words_on_the_queue_with_the_form_kept() -> None:
    fake = FakeApi()
    words = "sort: unknown order 'age'; one of opened, -opened, status, -status, assignee, -assignee, program, -program"
    fake.on("GET", "/api/v1/cases", {"detail": words}, status=422)
    page = _client(fake).get("/cases?sort=age&fin=48213377")
    assert page.status_code == 422
    assert 'role="alert">The queue cannot be shown as asked: sort: unknown order' in page.text
    assert 'name="fin" value="48213377"' in page.text and "<h1>Case queue</h1>" in page.text


@pytest.mark.parametrize("asked", ["0", "two", "-1", str(MAX_OFFSET)])
def test_a_page_number_that_cannot_be_is_refused_before_asking_the_api(asked: str) -> None:
    fake = _queue()
    page = _client(fake).get(f"/cases?page={asked}")
    assert page.status_code == 422 and 'role="alert"' in page.text
    assert fake.params("GET", "/api/v1/cases") == []


def test_a_page_number_is_an_offset_and_the_count_brings_every_page_link() -> None:
    fake = _queue(_case(), next_cursor="c")
    fake.on("GET", "/api/v1/cases/count", {"total": 1234})
    client = _client(fake)
    page = client.get("/cases?page=7&sort=program").text
    assert fake.params("GET", "/api/v1/cases") == [{"sort": "program", "offset": "300", "limit": "50"}]
    assert "Page 7</p>" in page and ">Previous</a>" in page and ">Next</a>" in page  # before the count
    count = client.get("/cases/count?page=7&sort=program").text
    assert '<span id="count">1,234 cases</span>' in count and 'hx-swap-oob="true"' in count
    assert "Page 7 of 25" in count
    links = re.findall(r'<a [^>]*href="/cases\?([^"]*)"[^>]*>([^<]+)</a>', count)
    assert links == [
        ("sort=program", "First"), ("sort=program&amp;page=6", "Previous"), ("sort=program", "1"),
        ("sort=program&amp;page=5", "5"), ("sort=program&amp;page=6", "6"), ("sort=program&amp;page=7", "7"),
        ("sort=program&amp;page=8", "8"), ("sort=program&amp;page=9", "9"), ("sort=program&amp;page=25", "25"),
        ("sort=program&amp;page=8", "Next"), ("sort=program&amp;page=25", "Last"),
    ]  # fmt: skip
    assert 'aria-label="Page 7" aria-current="page"' in count


def test_a_name_search_keeps_the_api_s_order_and_cursor() -> None:
    fake = _queue(_case(match={"kind": "exact", "value": "Иванова"}), next_cursor="next-one")
    page = _client(fake).get("/cases?name=ivanova&sort=status").text
    assert fake.params("GET", "/api/v1/cases") == [{"name": "ivanova", "limit": "50"}]
    assert "best match first" in page and ">Next page</a>" in page and "cursor=next-one" in page
    assert "aria-sort" not in page and 'id="pager"' not in page


def test_a_case_id_goes_to_its_case_or_says_none_is_found() -> None:
    fake = _queue(_case())
    found = _client(fake).get("/cases?case=3f2a9c1e&status=new")
    assert found.status_code == 303 and found.headers["location"] == f"/cases/{CASE}"
    assert fake.params("GET", "/api/v1/cases") == [{"case": "3f2a9c1e", "limit": "2"}]
    none = _client(_queue()).get("/cases?case=00000000")
    assert none.status_code == 200 and "No case has the id “00000000”" in none.text
    assert 'name="case" value="00000000"' in none.text
    refused = FakeApi()
    refused.on("GET", "/api/v1/cases", {"detail": "case: 'x' is neither a case id nor ..."}, status=422)
    typo = _client(refused).get("/cases?case=x")
    assert typo.status_code == 422 and "is not a case id" in typo.text


def test_the_form_s_empty_fields_and_the_default_sort_leave_the_address() -> None:
    fake = _queue(_case())
    sent = _client(fake).get("/cases?status=&program=M5&assignee=&fin=+48213377+&name=&sort=-opened&page=2&cursor=")
    assert sent.status_code == 303 and sent.headers["location"] == "/cases?program=M5&fin=48213377&page=2"
    assert fake.params("GET", "/api/v1/cases") == []  # asked once, at the tidy address
    none = _client(_queue()).get("/cases?status=&fin=&case=00000000&sort=-opened")
    assert none.status_code == 303 and none.headers["location"] == "/cases?case=00000000"
    assert _client(_queue()).get("/cases?status=&fin=").headers["location"] == "/cases"


def test_page_numbers_show_the_ends_and_a_few_around_the_current_page() -> None:
    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 4) == [1, 2, 3, 4]
    assert page_numbers(10, 30) == [1, None, 8, 9, 10, 11, 12, None, 30]
    assert page_numbers(3, 30) == [1, 2, 3, 4, 5, None, 30]
    assert page_offset(None) == (1, 0) and page_offset("3") == (3, 100)
    with pytest.raises(QueueRefused):
        page_offset(str(MAX_OFFSET // queue.PAGE + 2))


def test_age_and_the_way_a_header_sorts() -> None:
    now = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    assert age_days("2026-03-10T07:00:00Z", now) == 0 and age_days("2026-03-07T09:00:00+00:00", now) == 2
    assert next_sort("opened", "-opened") == "opened" and next_sort("opened", "status") == "-opened"
    assert next_sort("status", "status") == "-status" and next_sort("status", "-status") == "status"
    assert aria_sort("opened", "opened") == "descending" and aria_sort("status", "opened") is None
