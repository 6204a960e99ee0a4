"""The reports' tables and series, with complementary suppression (plain Python, no framework).

Each report is built from whole blocks of the calendar (ISO weeks for the DOSR, calendar years for the EPR
and the component report) whatever period is asked for, so a count is suppressed or shown the same way in
every report; what a report shows beyond the blocks' nodes is a sum of nodes, shown only when it follows from shown
nodes (`suppression.total`). See docs/architecture.md, "Reports: complementary suppression".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.reporting import projection
from services.reporting import suppression as sc
from services.reporting.suppression import SUPPRESSED, Tree

NO_PARTNER = "-"
# Stored counter -> DOSR column, for the counters kept per day and program.
PROGRAM_METRICS = {
    "distinct_subjects": "subjects_processed",
    "no_matches": "no_matches",
    "transactions": "transactions",
}
PARTNER_DAYS_MAX = 31  # longer reports break matches down by partner per ISO week instead of per day
DAILY_SERIES_MAX = 62  # longer reports chart weekly (DOSR) or monthly (others) points instead of daily


@dataclass
class Series:
    """A chart: one line per name; None is a suppressed (or undefined) point, drawn as a gap."""

    title: str
    labels: list[str]
    lines: dict[str, list[float | None]]
    kind: str = "line"


@dataclass
class Built:
    tables: dict[str, list[dict[str, Any]]]
    series: list[Series] = field(default_factory=list)


def point(value: Any) -> float | None:
    return None if value is None or value == SUPPRESSED else float(value)


def suppressed_cells(tables: dict[str, list[dict[str, Any]]], keys: tuple[str, ...]) -> list[dict[str, str]]:
    """Which published cells are suppressed: table, row (its key columns) and column."""
    out = []
    for name, rows in tables.items():
        for row in rows:
            label = " ".join(f"{k}={row[k]}" for k in keys if k in row)
            out += [{"table": name, "row": label, "column": c} for c, v in row.items() if v == SUPPRESSED]
    return out


# -- DOSR ------------------------------------------------------------------------------------------------


def dosr(
    program_days: dict[tuple[date, str, str], int],
    partner_matches: dict[tuple[date, str, str], int],
    start: date,
    end: date,
    threshold: int,
    partner_kst: dict[tuple[date, str, str], int] | None = None,
) -> Built:
    """DOSR tables: per day and program, per week and program, matches per partner, totals.

    `program_days` (day, program, counter), `partner_matches` and `partner_kst` (day, program, partner: the
    matches, and the KST matches cases read from each row's fast-matcher flag, in every program) must cover the
    whole ISO weeks around [start, end] (`suppression.week_span`)."""
    trees: dict[str, Tree] = {"matches": sc.week_tree(partner_matches), "kst_matches": sc.week_tree(partner_kst or {})}
    for counter, metric in PROGRAM_METRICS.items():
        trees[metric] = sc.week_tree({(d, p): n for (d, p, c), n in program_days.items() if c == counter})
    hidden = {m: sc.protect(t, threshold) for m, t in trees.items()}

    def shown(nodes: list[tuple[Any, ...]]) -> dict:
        return _dosr_row({m: sc.total(trees[m], hidden[m], nodes) for m in trees})

    def has_data(node: tuple[Any, ...]) -> bool:
        return any(node in t.values for t in trees.values())

    programs = sorted({n[2] for t in trees.values() for n in t.values if n[0] == "DP" and start <= n[1] <= end})
    daily = [
        {"day": d, "program": p, **shown([("DP", d, p)])}
        for d in sc.days(start, end)
        for p in programs
        if has_data(("DP", d, p))
    ]
    weekly: list[dict[str, Any]] = []
    totals_nodes: list[tuple[Any, ...]] = []
    for week, first, last, whole in sc.weeks(start, end):
        for p in programs:
            day_nodes = [("DP", d, p) for d in sc.days(first, last)]
            if not any(has_data(n) for n in day_nodes):
                continue
            # A whole week is a node of its own; the part of a week inside the period is a sum of days.
            nodes = [("WP", week, p)] if whole else day_nodes
            weekly.append({"week": week, "program": p, "days": len(day_nodes), **shown(nodes)})
            if not whole:
                totals_nodes += day_nodes
        if whole:
            totals_nodes.append(("W", week))
    matches = _by_partner(trees["matches"], hidden["matches"], partner_matches, start, end)
    kst = _by_partner(trees["kst_matches"], hidden["kst_matches"], partner_kst or {}, start, end)
    label = "day" if (end - start).days < PARTNER_DAYS_MAX else "week"
    tables = {
        "daily": daily,
        "by_partner": [
            {label: k[0], "program": k[1], "partner": k[2], "matches": n, "kst_matches": kst.get(k, 0)}
            for k, n in sorted(matches.items())
        ],
        "weekly": weekly,
        "totals": [shown(totals_nodes)],
    }
    series_rows = daily if (end - start).days < DAILY_SERIES_MAX else weekly
    label = "day" if series_rows is daily else "week"
    return Built(tables, _program_series(series_rows, label, programs))


def _dosr_row(cells: dict[str, Any]) -> dict[str, Any]:
    row = {
        "subjects_processed": cells["subjects_processed"],
        "matches": cells["matches"],
        "kst_matches": cells["kst_matches"],
        "no_matches": cells["no_matches"],
        "transactions": cells["transactions"],
    }
    row["match_rate"] = sc.ratio(row["matches"], sc.combine([row["matches"], row["no_matches"]]))
    return row


def _by_partner(
    tree: Tree, hidden: set[Any], counts: dict[tuple[date, str, str], int], start: date, end: date
) -> dict[tuple[Any, str, str], Any]:
    """(day or ISO week, program, partner) -> the count as published (a number or `suppressed`)."""
    leaves = [("DPC", *key) for key in counts if start <= key[0] <= end]
    if (end - start).days < PARTNER_DAYS_MAX:
        return {n[1:]: sc.cell(tree, hidden, n) for n in leaves}
    # Weekly sums straight from the counters; only the few holding a hidden day go through `total`.
    sums: dict[tuple[str, str, str], int] = {}
    hidden_weeks: dict[tuple[str, str, str], list[Any]] = {}
    for node in leaves:
        key = (sc.iso_week(node[1]), node[2], node[3])
        sums[key] = sums.get(key, 0) + counts[node[1:]]
        if node in hidden:
            hidden_weeks[key] = []
    for node in leaves:
        key = (sc.iso_week(node[1]), node[2], node[3])
        if key in hidden_weeks:
            hidden_weeks[key].append(node)
    return {key: sc.total(tree, hidden, hidden_weeks[key]) if key in hidden_weeks else n for key, n in sums.items()}


def _program_series(rows: list[dict[str, Any]], label: str, programs: list[str]) -> list[Series]:
    labels = sorted({str(r[label]) for r in rows})
    at = {(str(r[label]), r["program"]): r for r in rows}

    def lines(metric: str, scale: float = 1.0) -> dict[str, list[float | None]]:
        out = {}
        for p in programs:
            values = [point(at[(x, p)][metric]) if (x, p) in at else 0.0 for x in labels]
            out[p] = [None if v is None else round(v * scale, 2) for v in values]
        return out

    per = "daily" if label == "day" else "weekly"
    return [
        Series(f"Matches per program, {per}", labels, lines("matches")),
        Series(f"No-match results per program, {per}", labels, lines("no_matches")),
        Series(f"Match rate per program (%), {per}", labels, {p: _rates(at, labels, p) for p in programs}),
    ]


def _rates(at: dict[tuple[str, str], dict[str, Any]], labels: list[str], program: str) -> list[float | None]:
    out: list[float | None] = []
    for x in labels:
        rate = at[(x, program)]["match_rate"] if (x, program) in at else None
        out.append(None if rate is None or rate == SUPPRESSED else round(100 * float(rate), 1))
    return out


DOSR_KEYS = ("day", "week", "program", "partner")


# -- Component report ------------------------------------------------------------------------------------


def components(owner_days: dict[tuple[date, str, str], int], start: date, end: date, threshold: int) -> Built:
    """Per data owner: its encounters matched by inbound partner queries and shared with partners.

    `owner_days` (day, data owner, metric) must cover the whole calendar years of [start, end]."""
    trees: dict[str, Tree] = {}
    for metric in ("matched", "shared"):
        trees[metric] = sc.calendar_tree({(d, o): n for (d, o, m), n in owner_days.items() if m == metric})
    hidden = {m: sc.protect(t, threshold) for m, t in trees.items()}
    owners = sorted({o for (d, o, _m), n in owner_days.items() if n and start <= d <= end})
    table = [
        {"data_owner": o, **{m: sc.calendar_cell(trees[m], hidden[m], start, end, o) for m in trees}} for o in owners
    ]
    buckets = _buckets(start, end)
    lines = {
        o: [point(sc.calendar_cell(trees["matched"], hidden["matched"], a, b, o)) for _, a, b in buckets]
        for o in owners
    }
    per = "daily" if (end - start).days < DAILY_SERIES_MAX else "monthly"
    series = [Series(f"Matches per data owner, {per}", [x for x, _, _ in buckets], lines)]
    return Built({"data_owners": table}, series)


def _buckets(start: date, end: date) -> list[tuple[str, date, date]]:
    if (end - start).days < DAILY_SERIES_MAX:
        return [(d.isoformat(), d, d) for d in sc.days(start, end)]
    return list(sc.months(start, end))


# -- Executive Performance Report ------------------------------------------------------------------------

REDRESS_COUNTS = ("received", "closed")
LINKED_TO_CLOSED = ("closed_days", "closed_within")
DISCLOSURE_COUNTS = ("disclosures", "response_seconds")


def epr(
    redress_days: dict[tuple[date, str], int],
    redress_before: dict[int, tuple[int, int]],
    closing_days: dict[str, dict[int, int]],
    disclosure_days: dict[tuple[date, str], int],
    start: date,
    end: date,
    threshold: int,
    as_of: date | None = None,
    goals: tuple[projection.Goal, ...] = projection.GOALS,
) -> Built:
    """Redress received, closed, open at month ends, processing times and share within SLA per month and
    quarter; disclosures and mean time from match to response per month; per goal, its trend and projected
    value at the period's end from the months up to `as_of` (all of them when None).

    `redress_days` (day, received|closed|closed_days|closed_within) and `disclosure_days` (day,
    disclosures|response_seconds) cover the whole calendar years of [start, end]; `redress_before` gives
    (received, closed) per earlier year, for the backlog; `closing_days` how many requests closed within each
    month of [start, end] (clipped to it, labelled YYYY-MM) took how many days."""
    metrics = (*REDRESS_COUNTS, *LINKED_TO_CLOSED)
    trees = {m: sc.calendar_tree({(d, ""): n for (d, mm), n in redress_days.items() if mm == m}) for m in metrics}
    # Days and within-SLA counts of closed requests are shown through averages and shares of the closed
    # count: they follow its pattern, so a hidden closed count hides them too (`_linked_cell`).
    hidden = {m: sc.protect(trees[m], threshold) for m in REDRESS_COUNTS}
    year_start = date(start.year, 1, 1)

    def count(metric: str, a: date, b: date) -> Any:
        return _linked_cell(trees, hidden, "closed" if metric in LINKED_TO_CLOSED else metric, metric, a, b)

    def backlog(at: date) -> Any:
        """Open at the end of `at`: everything received minus everything closed, as sums of year nodes
        (earlier years) and of the calendar nodes of this span; shown only if each of them is."""
        before = [c for pair in redress_before.values() for c in pair]
        received, closed = count("received", year_start, at), count("closed", year_start, at)
        if any(0 < c < threshold for c in before) or SUPPRESSED in (received, closed):
            return SUPPRESSED
        return sum(r - c for r, c in redress_before.values()) + received - closed

    def group(a: date, b: date, at_end: bool = False) -> dict[str, Any]:
        closed = count("closed", a, b)
        median, longest = _median_and_longest(closing_days, a, b)
        shown = closed != SUPPRESSED and closed > 0
        row = {"received": count("received", a, b), "closed": closed}
        if at_end:
            row["open_backlog_at_end"] = backlog(b)
        return row | {
            "average_days": _round(sc.ratio(count("closed_days", a, b), closed, 1)) if shown else _hide(closed),
            "median_days": _round(median) if shown else _hide(closed),
            "longest_days": longest if shown else _hide(closed),
            "within_sla": sc.ratio(count("closed_within", a, b), closed) if shown else _hide(closed),
        }

    by_month = [{"period": m, **group(a, b), "open_at_end": backlog(b)} for m, a, b in sc.months(start, end)]
    by_quarter = [{"period": q, **group(a, b)} for q, a, b in sc.quarters(start, end)]
    totals = group(start, end, at_end=True)
    disclosures = _disclosures(disclosure_days, start, end, threshold)
    observed = sum(1 for _, a, _ in sc.months(start, end) if as_of is None or a <= as_of)
    tables = {
        "redress_by_month": by_month,
        "redress_by_quarter": by_quarter,
        "redress_totals": [totals],
        "disclosures_by_month": disclosures,
        "goals": [projection.project(g, [r[g.name] for r in by_month], observed, len(by_month)) for g in goals],
    }
    labels = [r["period"] for r in by_month]
    series = [
        Series("Redress backlog (open at month end)", labels, {"open": [point(r["open_at_end"]) for r in by_month]}),
        Series(
            "Redress closed within SLA (%)",
            labels,
            {"within SLA": [_percent(r["within_sla"]) for r in by_month]},
        ),
        Series(
            "Redress processing time (average days to close)",
            labels,
            {"average days": [point(r["average_days"]) for r in by_month]},
        ),
        Series(
            "Disclosures per month",
            [r["month"] for r in disclosures],
            {"disclosures": [point(r["disclosures"]) for r in disclosures]},
        ),
    ]
    return Built(tables, series)


def _linked_cell(trees: dict[str, Tree], hidden: dict[str, set[Any]], base: str, metric: str, a: date, b: date) -> Any:
    """A count over [a, b] of `metric`, shown exactly when the same count of `base` is (a linked counter
    follows its base's pattern: the same nodes, the same sums)."""
    shown = sc.calendar_cell(trees[base], hidden[base], a, b, "")
    if metric == base or shown == SUPPRESSED:
        return shown
    return sum(trees[metric].values.get((*part, ""), 0) for part in sc.calendar_parts(a, b))


def closing_histograms(durations: list[tuple[date, int]], start: date, end: date) -> dict[str, dict[int, int]]:
    """Month (clipped to [start, end]) -> days to close -> requests: what SQL returns, from (closed on, days)."""
    out: dict[str, dict[int, int]] = {}
    for day, days in durations:
        if start <= day <= end:
            month = out.setdefault(day.strftime("%Y-%m"), {})
            month[days] = month.get(days, 0) + 1
    return out


def _median_and_longest(histograms: dict[str, dict[int, int]], a: date, b: date) -> tuple[Any, Any]:
    """Median (the mean of the middle two for an even count) and longest days to close over the months of
    [a, b], which always covers whole clipped months of the report's period."""
    merged: dict[int, int] = {}
    for month, _first, _last in sc.months(a, b):
        for days, n in histograms.get(month, {}).items():
            merged[days] = merged.get(days, 0) + n
    total = sum(merged.values())
    if not total:
        return None, None
    ordered = sorted(merged)

    def nth(k: int) -> int:  # the k-th smallest, from 0
        seen = 0
        for days in ordered:
            seen += merged[days]
            if seen > k:
                return days
        raise IndexError(k)

    return (nth((total - 1) // 2) + nth(total // 2)) / 2, ordered[-1]


def _disclosures(days: dict[tuple[date, str], int], start: date, end: date, threshold: int) -> list[dict[str, Any]]:
    trees = {m: sc.calendar_tree({(d, ""): n for (d, mm), n in days.items() if mm == m}) for m in DISCLOSURE_COUNTS}
    hidden = {"disclosures": sc.protect(trees["disclosures"], threshold)}
    rows = []
    for month, a, b in sc.months(start, end):
        n = sc.calendar_cell(trees["disclosures"], hidden["disclosures"], a, b, "")
        if n == 0:  # months without a disclosure are left out, as before
            continue
        secs = _linked_cell(trees, hidden, "disclosures", "response_seconds", a, b)
        hours = _round(sc.ratio(secs, n * 3600, 2)) if n != SUPPRESSED and n else _hide(n)
        rows.append({"month": month, "disclosures": n, "average_hours_match_to_response": hours})
    return rows


def _percent(share: Any) -> float | None:
    value = point(share)
    return None if value is None else round(100 * value, 1)


def _hide(count: Any) -> str | None:
    return SUPPRESSED if count == SUPPRESSED else None


def _round(value: Any) -> Any:
    """10.0 prints as 10: medians and averages of whole days read as the figures they are."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


EPR_KEYS = ("period", "month")
COMPONENT_KEYS = ("data_owner",)
