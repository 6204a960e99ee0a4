"""Exact linear algebra for disclosure checks: is a figure a linear combination of published figures?

A figure is a sparse vector over unknown counts (atom -> coefficient). `Span` keeps the published figures in
reduced row echelon form over the rationals; `determines` answers whether a vector lies in their span, i.e.
whether an intruder holding the published values can compute it exactly.
"""

from __future__ import annotations

from collections.abc import Hashable
from fractions import Fraction

Vector = dict[Hashable, Fraction]


class Span:
    def __init__(self) -> None:
        self.rows: dict[Hashable, Vector] = {}  # pivot atom -> row with 1 at the pivot, 0 at other pivots
        self.order: dict[Hashable, int] = {}

    def _rank(self, atom: Hashable) -> int:
        return self.order.setdefault(atom, len(self.order))

    def reduce(self, vector: dict[Hashable, int | Fraction]) -> Vector:
        v: Vector = {a: Fraction(c) for a, c in vector.items() if c}
        for pivot in [a for a in v if a in self.rows]:
            factor = v.get(pivot)
            if not factor:
                continue
            for a, c in self.rows[pivot].items():
                nv = v.get(a, Fraction(0)) - factor * c
                if nv:
                    v[a] = nv
                else:
                    v.pop(a, None)
        return v

    def add(self, vector: dict[Hashable, int | Fraction]) -> None:
        v = self.reduce(vector)
        if not v:
            return
        pivot = min(v, key=self._rank)
        scale = v[pivot]
        v = {a: c / scale for a, c in v.items()}
        for other in self.rows.values():
            factor = other.get(pivot)
            if factor:
                for a, c in v.items():
                    nv = other.get(a, Fraction(0)) - factor * c
                    if nv:
                        other[a] = nv
                    else:
                        other.pop(a, None)
        self.rows[pivot] = v

    def determines(self, vector: dict[Hashable, int | Fraction]) -> bool:
        return bool(vector) and not self.reduce(vector)
