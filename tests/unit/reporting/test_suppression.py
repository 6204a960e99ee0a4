"""Complementary suppression holds up against linear algebra: for random counts, programs, partners, owners
and periods, no suppressed figure of a report (or of two reports whose periods differ by a day) is a linear
combination of the figures they publish, and no published count is below the threshold."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.reporting import suppression as sc
from services.reporting import tabulation
from services.reporting.suppression import SUPPRESSED
from tests.unit.reporting.linear import Span

MONDAY = date(2026, 2, 23)
THRESHOLD = 5
COUNTS = st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 40))
PROGRAM_COUNTERS = ("no_matches", "transactions", "distinct_subjects")
COLUMN = {"subjects_processed": "distinct_subjects", "no_matches": "no_matches", "transactions": "transactions"}
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def dosr_data(draw: Any, max_days: int = 21) -> tuple[dict, dict, dict]:
    programs = draw(st.lists(st.sampled_from(["KST", "M5", "PCSC"]), min_size=1, max_size=3, unique=True))
    partners = draw(st.lists(st.sampled_from(["GBR", "GRC", "-"]), min_size=1, max_size=3, unique=True))
    n_days = draw(st.integers(1, max_days))
    active = draw(st.lists(st.integers(0, n_days - 1), min_size=1, max_size=n_days, unique=True))
    per_program: dict[tuple[date, str, str], int] = {}
    per_partner: dict[tuple[date, str, str], int] = {}
    per_kst: dict[tuple[date, str, str], int] = {}
    for offset in active:
        day = MONDAY + timedelta(days=offset)
        for p in programs:
            for c in partners:
                if n := draw(COUNTS):
                    per_partner[(day, p, c)] = n
                    # KST matches come from each row's fast-matcher flag, in any program: some of the matches.
                    if k := draw(st.integers(0, n)):
                        per_kst[(day, p, c)] = k
            for counter in PROGRAM_COUNTERS:
                if n := draw(COUNTS):
                    per_program[(day, p, counter)] = n
    return per_program, per_partner, per_kst


def dosr(data: tuple[dict, ...], start: date, end: date) -> tabulation.Built:
    per_program, per_partner, *kst = data
    return tabulation.dosr(per_program, per_partner, start, end, THRESHOLD, partner_kst=kst[0] if kst else None)


def period(draw: Any, span: int) -> tuple[date, date]:
    first = draw(st.integers(0, span - 1))
    return MONDAY + timedelta(days=first), MONDAY + timedelta(days=draw(st.integers(first, span - 1)))


def dosr_figures(built: tabulation.Built, start: date, end: date, data: tuple[dict, dict]) -> list[tuple[dict, Any]]:
    """Every count the DOSR publishes (tables and chart points) as (vector over the unknown counts, value)."""
    per_program, per_partner, per_kst = data

    def atoms(metric: str, days: list[date], program: str | None, partner: str | None = None) -> dict:
        if metric in ("matches", "kst_matches"):
            counts = per_partner if metric == "matches" else per_kst
            keys = [k for k in counts if k[0] in days and (program is None or k[1] == program)]
            return {(metric, *k): 1 for k in keys if partner is None or k[2] == partner}
        return {
            (COLUMN[metric], *k): 1
            for k in per_program
            if k[0] in days and (program is None or k[1] == program) and k[2] == COLUMN[metric]
        }

    def week_days(label: str) -> list[date]:
        monday = date.fromisocalendar(int(label[:4]), int(label[6:]), 1)
        return [d for d in (monday + timedelta(days=i) for i in range(7)) if start <= d <= end]

    out = []
    for rows in built.tables.values():
        for row in rows:
            days = (
                [row["day"]] if "day" in row else week_days(row["week"]) if "week" in row else list(sc.days(start, end))
            )
            for metric in ("subjects_processed", "matches", "kst_matches", "no_matches", "transactions"):
                if metric in row:
                    out.append((atoms(metric, days, row.get("program"), row.get("partner")), row[metric]))
    # Chart points are the table's rows again; check they say the same.
    for series in built.series:
        if series.title.startswith("Matches per program"):
            for program, points in series.lines.items():
                for label, value in zip(series.labels, points, strict=True):
                    days = [date.fromisoformat(label)] if "W" not in label else week_days(label)
                    out.append((atoms("matches", days, program), SUPPRESSED if value is None else int(value)))
    return out


def assert_protected(figures: list[tuple[dict, Any]], threshold: int = THRESHOLD) -> int:
    """No published count below the threshold; no suppressed figure in the span of the published ones
    (zeros published tell an intruder that every count under them is zero: they are used too). Figures
    with negative coefficients (a backlog: received minus closed) are differences, not counts."""
    span = Span()
    for vector, value in figures:
        if value == SUPPRESSED:
            continue
        if all(c > 0 for c in vector.values()):
            assert not 0 < value < threshold, f"published small count {value}"
        if value == 0 and all(c > 0 for c in vector.values()):
            for atom in vector:
                span.add({atom: 1})
        span.add(vector)
    hidden = [v for v, value in figures if value == SUPPRESSED]
    for vector in hidden:
        assert not span.determines(vector), f"suppressed figure derivable: {sorted(vector)}"
    return len(hidden)


@PROPERTY
@given(data=dosr_data(), choice=st.data())
def test_no_suppressed_dosr_figure_is_a_linear_combination_of_what_the_dosr_publishes(data, choice) -> None:
    start, end = period(choice.draw, 21)
    built = dosr(data, start, end)
    assert_protected(dosr_figures(built, start, end, data))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=dosr_data(max_days=45), choice=st.data())
def test_a_long_dosr_breaks_partners_down_by_week_and_stays_protected(data, choice) -> None:
    start, end = MONDAY, MONDAY + timedelta(days=choice.draw(st.integers(31, 44)))
    built = dosr(data, start, end)
    assert all("week" in r for r in built.tables["by_partner"])
    assert_protected(dosr_figures(built, start, end, data))


@PROPERTY
@given(data=dosr_data(), choice=st.data())
def test_two_dosrs_whose_periods_differ_by_a_day_reveal_nothing_together(data, choice) -> None:
    start, end = period(choice.draw, 20)
    shifted = choice.draw(
        st.sampled_from(
            [(start, end + timedelta(days=1)), (start + timedelta(days=1), end + timedelta(days=1))]
            + ([(start - timedelta(days=1), end)] if start > MONDAY else [])
        )
    )
    figures = []
    for a, b in ((start, end), shifted):
        figures += dosr_figures(dosr(data, a, b), a, b, data)
    assert_protected(figures)


def test_a_total_never_prints_the_sum_of_a_suppressed_cell() -> None:
    """The issue's case: one import, one program, 4 no-match rows: the program's daily cell is suppressed,
    and so are its weekly cell and the totals, which would otherwise print 4."""
    day = MONDAY + timedelta(days=2)
    data = ({(day, "PCSC", "no_matches"): 4, (day, "PCSC", "transactions"): 30}, {(day, "PCSC", "GRC"): 26})
    for a, b in ((day, day), (MONDAY, MONDAY + timedelta(days=6)), (MONDAY, MONDAY + timedelta(days=40))):
        built = dosr(data, a, b)
        (daily,) = built.tables["daily"]
        (totals,) = built.tables["totals"]
        assert daily["no_matches"] == SUPPRESSED and totals["no_matches"] == SUPPRESSED
        assert totals["match_rate"] == SUPPRESSED and daily["matches"] == 26 and totals["transactions"] == 30
        assert all(w["no_matches"] == SUPPRESSED for w in built.tables["weekly"])


def test_a_lone_small_cell_gets_a_complement_in_its_row_and_the_margin_stays() -> None:
    day = MONDAY
    data = (
        {
            (day, "PCSC", "no_matches"): 3,
            (day + timedelta(days=1), "PCSC", "no_matches"): 9,
            (day + timedelta(days=2), "PCSC", "no_matches"): 12,
        },
        {},
    )
    built = dosr(data, MONDAY, MONDAY + timedelta(days=6))
    cells = [r["no_matches"] for r in built.tables["daily"]]
    assert cells == [SUPPRESSED, SUPPRESSED, 12]  # the smallest other day hides the 3
    assert built.tables["weekly"][0]["no_matches"] == 24 and built.tables["totals"][0]["no_matches"] == 24


# -- component report and EPR ----------------------------------------------------------------------------


@st.composite
def owner_data(draw: Any) -> dict:
    owners = draw(st.lists(st.sampled_from(["CBP", "DOS", "FBI-TSC"]), min_size=1, max_size=3, unique=True))
    out = {}
    for offset in draw(st.lists(st.integers(0, 75), min_size=1, max_size=20, unique=True)):
        for o in owners:
            for metric in ("matched", "shared"):
                if n := draw(COUNTS):
                    out[(date(2026, 1, 20) + timedelta(days=offset), o, metric)] = n
    return out


def component_figures(built: tabulation.Built, start: date, end: date, data: dict) -> list[tuple[dict, Any]]:
    def atoms(owner: str, metric: str, a: date, b: date) -> dict:
        return {k: 1 for k in data if k[1] == owner and k[2] == metric and a <= k[0] <= b}

    out = [
        (atoms(r["data_owner"], m, start, end), r[m])
        for r in built.tables["data_owners"]
        for m in ("matched", "shared")
    ]
    (series,) = built.series
    buckets = tabulation._buckets(start, end)
    for owner, points in series.lines.items():
        for (_, a, b), value in zip(buckets, points, strict=True):
            out.append((atoms(owner, "matched", a, b), SUPPRESSED if value is None else int(value)))
    return out


@PROPERTY
@given(data=owner_data(), choice=st.data())
def test_component_reports_over_any_two_periods_keep_suppressed_owners_hidden(data, choice) -> None:
    first = date(2026, 1, 20) + timedelta(days=choice.draw(st.integers(0, 70)))
    last = first + timedelta(days=choice.draw(st.integers(0, 75)))
    figures = []
    for a, b in ((first, last), (first, last + timedelta(days=1))):
        figures += component_figures(tabulation.components(data, a, b, THRESHOLD), a, b, data)
    assert_protected(figures)


@st.composite
def redress_requests(draw: Any) -> list[tuple[date, date | None]]:
    out = []
    for _ in range(draw(st.integers(1, 40))):
        received = date(2025, 11, 1) + timedelta(days=draw(st.integers(0, 200)))
        closed = draw(st.one_of(st.none(), st.integers(0, 90)))
        out.append((received, None if closed is None else received + timedelta(days=closed)))
    return out


def epr_inputs(requests: list[tuple[date, date | None]], start: date, end: date) -> tuple:
    lo, hi = sc.year_span(start, end)
    days: dict[tuple[date, str], int] = {}
    before: dict[int, list[int]] = {}

    def bump(key: tuple[date, str], n: int = 1) -> None:
        days[key] = days.get(key, 0) + n

    for received, closed in requests:
        if lo <= received <= hi:
            bump((received, "received"))
        elif received < lo:
            before.setdefault(received.year, [0, 0])[0] += 1
        if closed and lo <= closed <= hi:
            bump((closed, "closed"))
            bump((closed, "closed_days"), (closed - received).days)
            bump((closed, "closed_within"), int((closed - received).days <= 30))
        elif closed and closed < lo:
            before.setdefault(closed.year, [0, 0])[1] += 1
    durations = [(c, (c - r).days) for r, c in requests if c and start <= c <= end]
    spans = tabulation.closing_histograms(durations, start, end)
    return days, {y: (r, c) for y, (r, c) in before.items()}, spans, {}


def epr_figures(built: tabulation.Built, requests: list, start: date, end: date) -> list[tuple[dict, Any]]:
    """Received and closed counts and the backlog: vectors over received/closed per day (and per year before)."""

    def counts(metric: str, a: date, b: date) -> dict:
        return {(metric, d): 1 for d in sc.days(a, b)}

    def backlog(at: date) -> dict:
        vector: dict = {}
        for received, closed in requests:
            if received <= at:
                vector[("received", received)] = 1
            if closed and closed <= at:
                vector[("closed", closed)] = -1
        return vector

    def known_days(vector: dict) -> dict:  # days with nothing received or closed are simply zero
        present = {("received", r) for r, _ in requests} | {("closed", c) for _, c in requests if c}
        return {k: v for k, v in vector.items() if k in present}

    out = []
    for table, rows in built.tables.items():
        if table == "goals":  # trends and projections, computed from the shown figures only: no count of its own
            continue
        for row in rows:
            label = row.get("period") or row.get("month")
            if table == "redress_totals":
                a, b = start, end
            elif "Q" in str(label):
                a, b = next((x, y) for q, x, y in sc.quarters(start, end) if q == label)
            else:
                a, b = next((x, y) for m, x, y in sc.months(start, end) if m == label)
            for metric in ("received", "closed"):
                if metric in row:
                    out.append((known_days(counts(metric, a, b)), row[metric]))
            for key in ("open_at_end", "open_backlog_at_end"):
                if key in row:
                    out.append((known_days(backlog(b)), row[key]))
    return out


@PROPERTY
@given(requests=redress_requests(), choice=st.data())
def test_epr_counts_and_backlogs_over_two_periods_keep_suppressed_counts_hidden(requests, choice) -> None:
    start = date(2025, 12, 1) + timedelta(days=choice.draw(st.integers(0, 120)))
    end = start + timedelta(days=choice.draw(st.integers(0, 100)))
    figures: list = []
    for a, b in ((start, end), (start, end + timedelta(days=1))):
        built = tabulation.epr(*epr_inputs(requests, a, b), a, b, THRESHOLD)
        figures += epr_figures(built, requests, a, b)
    assert_protected(figures)
