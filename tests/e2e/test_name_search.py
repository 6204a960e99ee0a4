"""Names in every script found in plain Latin through the gateway, ranked and explained, in the cases list and in
redress's candidates alike; dates of birth found at any precision."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from tests.files import xlsx
from tests.support import Gateway, wait_until

HEADER = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN"]


def _workbook(tag: str) -> tuple[bytes, dict[str, str]]:
    """Rows in Cyrillic, Arabic (unvowelled), Chinese, Vietnamese, Greek and accented Latin; DOBs as typed
    dates and as year-only text. Returns the workbook and each row's FIN by a short label."""
    rows: dict[str, list] = {
        "ivanova-cyrillic": ["Иванова", "Анна", date(1980, 5, 17)],
        "ivanova-latin": ["Ivanova", "Anna", "1980"],
        "ivanovaite": ["Ivanovaitė", "Rūta", "1980-05"],
        "ivan-vanov": ["Vanov", "Ivan", date(1980, 5, 17)],  # shares letters, must not be found
        "arabic": ["حسن", "أحمد", "1975"],
        "chinese": ["李", "小龙", date(1940, 11, 27)],
        "vietnamese": ["Trần", "Văn An", date(1990, 1, 2)],
        "greek": ["Παπαδόπουλος", "Γιώργος", "1966"],
        "latin": ["Müller-Lüdenscheidt", "José", date(1971, 3, 4)],
    }
    fins = {label: f"NS{tag}{i:02d}" for i, label in enumerate(rows)}
    sheet = [[fins[label], *cells, "GRC", f"TCN-{fins[label]}"] for label, cells in rows.items()]
    return xlsx(HEADER, sheet), fins


async def _import(gw: Gateway, tag: str) -> dict[str, str]:
    content, fins = _workbook(tag)
    up = await gw.upload(content, name="partner-names.xlsx", program="PCSC")
    assert up.status_code == 201, up.text
    assert (await gw.confirm(up.json()["id"])).status_code == 200

    async def all_cases() -> bool:
        return len(await _search(gw, fins, fin=fins["latin"])) == 1 and bool(
            await _search(gw, fins, fin=fins["ivanova-cyrillic"])
        )

    await wait_until(all_cases, what="the imported rows as cases")
    return fins


async def _search(gw: Gateway, fins: dict[str, str], **params: str) -> list[tuple[str, dict | None]]:
    """(label, match) of this test's cases in the order the API ranked them (other tests' cases left out)."""
    r = await gw.get("/api/v1/cases", limit=500, **params)
    assert r.status_code == 200, r.text
    labels = {f"TCN-{fin}": label for label, fin in fins.items()}
    return [
        (labels[c["partner_transaction_number"]], c.get("match"))
        for c in r.json()["items"]
        if c["partner_transaction_number"] in labels
    ]


def _why(match: dict | None) -> tuple:
    assert match is not None
    return match["kind"], match["rule"], match["fields"]


async def test_names_in_every_script_are_found_in_plain_latin_ranked_and_explained(gateway: Gateway) -> None:
    tag = uuid.uuid4().hex[:8]
    fins = await _import(gateway, tag)

    # Exact (as written, accents ignored) before transliterated before fuzzy (part of a word); Ivan Vanov is not
    # an Ivanova.
    found = await _search(gateway, fins, name="ivanova")
    assert [label for label, _ in found] == ["ivanova-latin", "ivanova-cyrillic", "ivanovaite"]
    assert [_why(m) for _, m in found] == [
        ("exact", "same words", ["last_name"]),
        ("transliterated", "latin words", ["last_name"]),
        ("fuzzy", "part of a word", ["last_name"]),
    ]
    assert found[1][1]["field"] == "last_name" and found[1][1]["value"] == "Иванова"  # type: ignore[index]

    expected = {
        "ahmed hassan": ("arabic", ("transliterated", "consonants", ["last_name", "first_name"])),
        "li xiaolong": ("chinese", ("transliterated", "latin words", ["last_name", "first_name"])),
        "tran van an": ("vietnamese", ("exact", "same words", ["last_name", "first_name"])),
        "papadopoulos": ("greek", ("transliterated", "latin words", ["last_name"])),
        "jose muller": ("latin", ("exact", "same words", ["last_name", "first_name"])),
    }
    for query, (label, why) in expected.items():
        for words in (query, " ".join(reversed(query.split()))):  # surname and given name swapped
            found = await _search(gateway, fins, name=words)
            assert [(lbl, _why(m)) for lbl, m in found] == [(label, why)], words

    # Spelling variants of an unvowelled Arabic name, and Chinese typed by syllable or in its own script.
    for query, label in (("Ahmad Hasan", "arabic"), ("xiao long li", "chinese"), ("李小龙", "chinese")):
        assert [lbl for lbl, _ in await _search(gateway, fins, name=query)] == [label], query
    assert await _search(gateway, fins, name="ivanova maria") == []
    assert (await gateway.get("/api/v1/cases", name="--")).status_code == 422


async def test_a_dob_is_found_at_any_precision_exact_first(gateway: Gateway) -> None:
    tag = uuid.uuid4().hex[:8]
    fins = await _import(gateway, tag)

    def dobs(found: list[tuple[str, dict | None]]) -> list[tuple[str, str, str, str]]:
        return [(lbl, m["dob"]["kind"], m["dob"]["value"], m["dob"]["precision"]) for lbl, m in found]  # type: ignore[index]

    # A full-date query finds the same date first, then the year-only and year-month DOBs of that date.
    found = dobs(await _search(gateway, fins, dob="1980-05-17"))
    assert sorted(found[:2]) == [
        ("ivan-vanov", "exact", "1980-05-17", "day"),
        ("ivanova-cyrillic", "exact", "1980-05-17", "day"),
    ]
    assert sorted(found[2:]) == [
        ("ivanova-latin", "partial", "1980", "year"),
        ("ivanovaite", "partial", "1980-05", "month"),
    ]
    # And the reverse: a year finds the dates in it, the year-only DOB first.
    found = dobs(await _search(gateway, fins, dob="1980"))
    assert found[0] == ("ivanova-latin", "exact", "1980", "year") and len(found) == 4
    # Another month of that year: only the DOB known to the year could be it.
    assert dobs(await _search(gateway, fins, dob="1980-06")) == [("ivanova-latin", "partial", "1980", "year")]
    assert dobs(await _search(gateway, fins, dob="1981")) == []
    assert (await gateway.get("/api/v1/cases", dob="17/05/1980")).status_code == 422

    # Name and DOB together: the name ranks first, the DOB next.
    found = await _search(gateway, fins, name="ivanova", dob="1980-05-17")
    assert [(lbl, m["kind"], m["dob"]["kind"]) for lbl, m in found] == [  # type: ignore[index]
        ("ivanova-latin", "exact", "partial"),
        ("ivanova-cyrillic", "transliterated", "exact"),
        ("ivanovaite", "fuzzy", "partial"),
    ]

    # The encounter shows its DOB and how precise it is.
    (case,) = (await gateway.get("/api/v1/cases", fin=fins["ivanova-latin"])).json()["items"]
    (encounter,) = (await gateway.get(f"/api/v1/cases/{case['id']}")).json()["encounters"]
    assert (encounter["dob"], encounter["dob_precision"]) == ("1980", "year")


async def test_ranked_pages_follow_one_another_without_gaps_or_repeats(gateway: Gateway) -> None:
    tag = uuid.uuid4().hex[:8]
    await _import(gateway, tag)
    whole = (await gateway.get("/api/v1/cases", name="ivanova", limit=500)).json()["items"]
    paged, cursor = [], None
    while True:
        r = await gateway.get("/api/v1/cases", name="ivanova", limit=2, **({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.text
        paged += r.json()["items"]
        if not (cursor := r.json()["next_cursor"]):
            break
    assert [c["id"] for c in paged] == [c["id"] for c in whole] and len(whole) >= 3
    # A cursor of a ranked search is refused by an unranked one.
    first = await gateway.get("/api/v1/cases", name="ivanova", limit=1)
    refused = await gateway.get("/api/v1/cases", limit=1, cursor=first.json()["next_cursor"])
    assert refused.status_code == 422


async def test_redress_finds_candidates_the_way_the_cases_search_does(gateway: Gateway) -> None:
    tag = uuid.uuid4().hex[:8]
    fins = await _import(gateway, tag)
    received = datetime.now(UTC).date() - timedelta(days=1)
    created = await gateway.client.post(
        "/api/v1/redress",
        headers=gateway.headers(),
        json={
            "source": "TRIP",
            "trip_number": f"TRIP-NS-{tag}",
            "sent_on": (received - timedelta(days=1)).isoformat(),
            "received_on": received.isoformat(),
            "submitting_agency": "DHS TRIP",
            "requester": {"last_name": "Hassan", "first_name": "Ahmed", "dob": "1975-02-03"},
            "contested_information": "Secondary inspection at every entry",
            "reason": "Fingerprints linked to another",
        },
    )
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    by_fin = {fin: label for label, fin in fins.items()}

    async def candidates(**params: str) -> list[tuple[str, dict]]:
        r = await gateway.get(f"/api/v1/redress/{rid}/candidates", **params)
        assert r.status_code == 200, r.text
        return [(by_fin[c["fin"]], c) for c in r.json() if c["fin"] in by_fin]

    async def indexed() -> list:
        return await candidates(name="jose muller")

    await wait_until(indexed, what="the imported rows in redress's index")
    found = await candidates(name="ahmed hassan", dob="1975-02-03")
    assert [(lbl, _why(c["match"]), c["match"]["dob"]) for lbl, c in found] == [
        (
            "arabic",
            ("transliterated", "consonants", ["last_name", "first_name"]),
            {"kind": "partial", "value": "1975", "precision": "year"},
        )
    ]
    assert found[0][1]["dob_precision"] == "year" and "name_terms" not in found[0][1]
    # The same ranking and reasons as the cases list, for every script.
    queries = ("ivanova", "anna ivanova", "li xiaolong", "tran van an", "papadopoulos", "hassan ahmed")
    # Another spelling of the same name, and an equivalent given name (issue 33), found alike.
    queries += ("georgios papadopoulos", "yiorgos papadhopoulos", "lee hsiao-lung", "ahmad hasan")
    for query in queries:
        in_cases = [(lbl, _why(m)) for lbl, m in await _search(gateway, fins, name=query)]
        in_redress = [(lbl, _why(c["match"])) for lbl, c in await candidates(name=query)]
        assert in_redress == in_cases and in_cases, query


# Eight scripts, each queried in two spellings other than the one stored: (last, first) -> [(query, kind, rule)].
EIGHT_SCRIPTS: dict[str, tuple[str, str, list[tuple[str, str, str]]]] = {
    "greek": (
        "Παπαδόπουλος",
        "Γιώργος",
        [
            ("georgios papadopoulos", "equivalent", "same name"),  # the passport's formal given name
            ("yiorgos papadhopoulos", "transliterated", "latin words"),  # BGN/PCGN 1962
        ],
    ),
    "cyrillic": (
        "Шевченко",
        "Юрий",
        [
            ("juri schewtschenko", "transliterated", "latin words"),  # German usage
            ("iurii shevchenko", "transliterated", "latin words"),  # ICAO 9303
        ],
    ),
    "arabic": (
        "الرشيد",
        "محمد",
        [
            ("mohammed al-rashid", "transliterated", "consonants"),
            ("mohamed el rachid", "transliterated", "consonants"),  # French usage
        ],
    ),
    "hebrew": (
        "כהן",
        "יוסף",
        [("yosef cohen", "transliterated", "consonants"), ("yossef kohn", "transliterated", "consonants")],
    ),
    "han": (
        "李",
        "小龙",
        [
            ("li hsiao-lung", "transliterated", "latin words"),  # Wade-Giles
            ("lee xiaolong", "transliterated", "latin words"),  # Lee as Hong Kong and Taiwan write Li (ee for i)
        ],
    ),
    "hangul": (
        "김",
        "민수",
        [
            ("kim min su", "transliterated", "latin words"),  # McCune-Reischauer
            ("kim minsoo", "transliterated", "latin words"),  # the passport's "soo" (oo for u)
        ],
    ),
    "kana": (
        "サトウ",
        "ショウタ",
        [
            ("satoh shohta", "transliterated", "latin words"),  # passport long vowels
            ("satou syouta", "transliterated", "latin words"),  # Kunrei-shiki
        ],
    ),
    "latin": (
        "Müller",
        "Jürgen",
        [
            ("juergen mueller", "transliterated", "latin words"),  # umlauts written out
            ("jurgen muller", "exact", "same words"),
        ],
    ),
}


async def test_names_in_eight_scripts_are_found_in_two_other_spellings_each(gateway: Gateway) -> None:
    tag = uuid.uuid4().hex[:8]
    fins = {label: f"E8{tag}{i:02d}" for i, label in enumerate(EIGHT_SCRIPTS)}
    sheet = [
        [fins[label], last, first, "1975", "GRC", f"TCN-{fins[label]}"]
        for label, (last, first, _) in EIGHT_SCRIPTS.items()
    ]
    up = await gateway.upload(xlsx(HEADER, sheet), name="eight-scripts.xlsx", program="PCSC")
    assert up.status_code == 201, up.text
    assert (await gateway.confirm(up.json()["id"])).status_code == 200

    async def imported() -> bool:
        return all([await _search(gateway, fins, fin=fins[label]) for label in ("greek", "latin")])

    await wait_until(imported, what="the eight scripts' rows as cases")
    for label, (_, _, queries) in EIGHT_SCRIPTS.items():
        for query, kind, rule in queries:
            found = await _search(gateway, fins, name=query)
            assert [(lbl, m["kind"], m["rule"]) for lbl, m in found] == [(label, kind, rule)], query  # type: ignore[index]
