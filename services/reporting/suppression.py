"""Complementary cell suppression over fixed trees of nested sums (plain Python, no framework).

Every count a report can publish is a node of a tree fixed by the calendar, never by the period asked for:
a parent is the sum of its children (an ISO week of a program is the sum of its days, a day of a program
the sum of its partners; a year the sum of its quarters, months and days). The published nodes of such a
tree, read as linear equations, determine a suppressed node exactly when some group (a parent with its
children) holds exactly one suppressed node: the equations form the incidence matrix of a graph whose
edges are the nodes, and an edge is determined iff it is a bridge; with no group holding a lone suppressed
node every suppressed edge lies on a cycle. `protect` walks each tree top-down and, in every group, hides
non-zero siblings where one hidden node would stand alone (or a child of a hidden parent), enough of them
that no sum of hidden nodes the shown ones give is a small count either.

Anything a report shows that is not a node (a partial week, a period total) is a sum of nodes and is shown
only when it follows from shown nodes (`total`). So all that any number of reports, over any periods,
publish lies in the span of the published nodes, and no suppressed node can be derived by subtraction.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

SUPPRESSED = "suppressed"
Node = Hashable
Cell = int | str


@dataclass
class Tree:
    """Nested sums: `values` of every node (absent = 0), `children` of every parent, the `roots`."""

    values: dict[Node, int] = field(default_factory=dict)
    children: dict[Node, list[Node]] = field(default_factory=dict)
    roots: list[Node] = field(default_factory=list)
    parent: dict[Node, Node] = field(default_factory=dict)

    def add(self, path: list[Node], amount: int) -> None:
        """Add `amount` to a leaf and to every ancestor on its path (root first)."""
        for i, node in enumerate(path):
            if node not in self.values:
                self.values[node] = 0
                if i == 0:
                    self.roots.append(node)
                else:
                    self.children.setdefault(path[i - 1], []).append(node)
                    self.parent[node] = path[i - 1]
            self.values[node] += amount


def protect(tree: Tree, threshold: int) -> set[Node]:
    """Nodes to suppress: every non-zero node below `threshold`, and complements so that no group holds
    exactly one suppressed node nor gives away a small sum of them. Deterministic: same tree, same answer.

    Each hidden node carries a budget: how much its hidden children must add up to. Under a shown parent the
    hidden children must be two or more and add up to the threshold (else their known sum is a small count:
    two hidden 1s under a shown 2 are both known); a hidden child then passes on min(its value, budget), so
    whatever sum of hidden nodes the published ones give, down to the smallest ones, is never small."""
    values = tree.values

    def small(node: Node) -> bool:
        return 0 < values.get(node, 0) < threshold

    budget = {r: values[r] for r in tree.roots if small(r)}
    todo = list(tree.roots)
    while todo:
        parent = todo.pop()
        kids = tree.children.get(parent, [])
        if not kids:
            continue
        chosen = [k for k in kids if 0 < values[k] < threshold]
        if parent in budget:
            need, least = budget[parent], 1
        elif chosen:
            need, least = threshold, 2
        else:
            todo.extend(kids)
            continue
        spare = sorted((k for k in kids if values[k] > 0 and k not in chosen), key=lambda k: (values[k], k))
        while len(chosen) < least or sum(values[k] for k in chosen) < need:
            if not spare:  # a parent that is not the sum of its children: a bug upstream, never publish
                raise ValueError(f"inconsistent sums under {parent!r}")
            missing = need - sum(values[k] for k in chosen)
            # The smallest sibling that covers what is missing, else the largest one and go on.
            pick = next((k for k in spare if values[k] >= missing), spare[-1])
            spare.remove(pick)
            chosen.append(pick)
        for k in chosen:
            budget[k] = min(values[k], need)
        todo.extend(kids)
    return set(budget)


def cell(tree: Tree, hidden: set[Node], node: Node) -> Cell:
    return SUPPRESSED if node in hidden else tree.values.get(node, 0)


def total(tree: Tree, hidden: set[Node], nodes: Iterable[Node]) -> Cell:
    """A sum of nodes (a partial week, a period): shown when it follows from shown nodes alone, which it
    does when none of its nodes is hidden, or when its hidden ones add up to what shown nodes give."""
    nodes = list(nodes)
    unknown = {n for n in nodes if n in hidden}
    if unknown and _lift(tree, hidden, unknown):
        return SUPPRESSED
    return sum(tree.values.get(n, 0) for n in nodes)


def _lift(tree: Tree, hidden: set[Node], unknown: set[Node]) -> set[Node]:
    """Replace every complete set of hidden siblings by their parent (known when shown): hidden children
    of a shown parent add up to it less its shown children. What is left cannot be derived this way."""
    changed = True
    while changed and unknown:
        changed = False
        for node in list(unknown):
            parent = tree.parent.get(node)
            if node not in unknown or parent is None or parent in unknown:
                continue
            siblings = {k for k in tree.children[parent] if k in hidden}
            if siblings <= unknown:
                unknown -= siblings
                if parent in hidden:
                    unknown.add(parent)
                changed = True
    return unknown


def combine(cells: Iterable[Cell]) -> Cell:
    """Cells computed together (a rate, a difference) are shown only if each of them is."""
    total = 0
    for c in cells:
        if c == SUPPRESSED:
            return SUPPRESSED
        total += int(c)
    return total


def ratio(numerator: Cell, denominator: Cell, digits: int = 4) -> float | str | None:
    if SUPPRESSED in (numerator, denominator):
        return SUPPRESSED
    return round(int(numerator) / int(denominator), digits) if denominator else None


# -- calendar trees: year > quarter > month > day, per key (a data owner, or "" for one series) ----------


def calendar_path(day: date, key: str) -> list[Node]:
    q = (day.month - 1) // 3 + 1
    return [("Y", day.year, key), ("Q", day.year, q, key), ("M", day.year, day.month, key), ("D", day, key)]


def calendar_tree(daily: dict[tuple[date, str], int]) -> Tree:
    tree = Tree()
    for (day, key), amount in sorted(daily.items()):
        tree.add(calendar_path(day, key), amount)
    return tree


def year_span(start: date, end: date) -> tuple[date, date]:
    """The whole calendar years a calendar tree for [start, end] must be built from."""
    return date(start.year, 1, 1), date(end.year, 12, 31)


def _month_end(day: date) -> date:
    nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def calendar_parts(start: date, end: date) -> Iterator[tuple[Any, ...]]:
    """The largest calendar nodes (without key) that exactly cover [start, end]."""
    d = start
    while d <= end:
        if d.month == 1 and d.day == 1 and date(d.year, 12, 31) <= end:
            yield ("Y", d.year)
            d = date(d.year + 1, 1, 1)
        elif d.day == 1 and d.month % 3 == 1 and _month_end(date(d.year, d.month + 2, 1)) <= end:
            yield ("Q", d.year, (d.month - 1) // 3 + 1)
            d = _month_end(date(d.year, d.month + 2, 1)) + timedelta(days=1)
        elif d.day == 1 and _month_end(d) <= end:
            yield ("M", d.year, d.month)
            d = _month_end(d) + timedelta(days=1)
        else:
            yield ("D", d)
            d += timedelta(days=1)


def calendar_cell(tree: Tree, hidden: set[Node], start: date, end: date, key: str) -> Cell:
    """A count over any period: the sum of the calendar nodes covering it (see `total`)."""
    return total(tree, hidden, [(*part, key) for part in calendar_parts(start, end)])


def months(start: date, end: date) -> Iterator[tuple[str, date, date]]:
    """Calendar months touched by [start, end], each clipped to it: (label, first day, last day)."""
    d = date(start.year, start.month, 1)
    while d <= end:
        yield d.strftime("%Y-%m"), max(d, start), min(_month_end(d), end)
        d = _month_end(d) + timedelta(days=1)


def quarters(start: date, end: date) -> Iterator[tuple[str, date, date]]:
    d = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    while d <= end:
        last = _month_end(date(d.year, d.month + 2, 1))
        yield f"{d.year}-Q{(d.month - 1) // 3 + 1}", max(d, start), min(last, end)
        d = last + timedelta(days=1)


# -- ISO-week trees for the DOSR: week > week of a program > day of a program > day/program/partner ------


@lru_cache(maxsize=4096)
def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_span(start: date, end: date) -> tuple[date, date]:
    """The whole ISO weeks (Monday to Sunday) a week tree for [start, end] must be built from."""
    return start - timedelta(days=start.weekday()), end + timedelta(days=6 - end.weekday())


def week_path(day: date, program: str, partner: str | None = None) -> list[Node]:
    path: list[Node] = [("W", iso_week(day)), ("WP", iso_week(day), program), ("DP", day, program)]
    return path if partner is None else [*path, ("DPC", day, program, partner)]


def week_tree(counts: dict[tuple[date, str], int] | dict[tuple[date, str, str], int]) -> Tree:
    """The tree of `week_path`s for counts keyed (day, program) or (day, program, partner), built in one
    pass per level (a year of day/program/partner counters is some 60,000 leaves)."""
    tree = Tree()
    values, children, parent = tree.values, tree.children, tree.parent
    level: dict[Node, int] = {}
    for key, n in counts.items():
        if len(key) == 3:
            day, program, partner = key  # type: ignore[misc]
            node, up = ("DPC", day, program, partner), ("DP", day, program)
            values[node] = n
            level[up] = level.get(up, 0) + n
            children.setdefault(up, []).append(node)
            parent[node] = up
        else:
            node = ("DP", key[0], key[1])
            level[node] = level.get(node, 0) + n
    for kind in ("DP", "WP"):
        above: dict[Node, int] = {}
        for node, n in level.items():
            values[node] = n
            up = ("WP", iso_week(node[1]), node[2]) if kind == "DP" else ("W", node[1])
            above[up] = above.get(up, 0) + n
            children.setdefault(up, []).append(node)
            parent[node] = up
        level = above
    values.update(level)
    tree.roots = list(level)
    return tree


def weeks(start: date, end: date) -> Iterator[tuple[str, date, date, bool]]:
    """ISO weeks touched by [start, end], clipped to it: (label, first day, last day, whole week inside)."""
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        sunday = monday + timedelta(days=6)
        yield iso_week(monday), max(monday, start), min(sunday, end), start <= monday and sunday <= end
        monday += timedelta(days=7)


def days(start: date, end: date) -> Iterator[date]:
    for i in range((end - start).days + 1):
        yield start + timedelta(days=i)
