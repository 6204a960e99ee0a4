"""Build the name-matching evaluation set (people.jsonl and people-small.jsonl beside this file).

    .venv/bin/python benchmarks/name_eval/build.py

Every person is a surname and a given name of one script from curated.py, stored as written in that script (or,
for a quarter of them, in one of their romanisations, as a partner's file would carry it), with a date of birth.
Queries are the same person's name in every other spelling: the curated ones and those the CLDR transforms give
(ICU), surname and given name in either order. Namesakes (the same name, another DOB) and people sharing a
surname or a given name are the distractors; absent people are name pairs of the same pools that nobody has.
Seeded: the same ICU version builds the same files.
"""

from __future__ import annotations

import json
import random
import re
from datetime import date, timedelta
from pathlib import Path

import icu

from benchmarks.name_eval.curated import CURATED

HERE = Path(__file__).parent
# The CLDR transforms that apply per script, by the convention they implement.
ICU = {
    "cyrillic": {"bgn-pcgn": "Russian-Latin/BGN", "iso-9": "Cyrillic-Latin"},
    "greek": {"elot-743": "Greek-Latin/UNGEGN", "bgn-pcgn-1962": "Greek-Latin/BGN", "iso-843-classical": "Greek-Latin"},
    "han": {"pinyin": "Han-Latin/Names"},
    "hangul": {"revised": "Hangul-Latin"},
    "kana": {"hepburn": "Katakana-Latin/BGN"},
    "latin": {"ascii": "Latin-ASCII"},
}
CURATED_CONVENTIONS = ("curated-1", "curated-2", "curated-3")
SIZES = {"people.jsonl": (60, 30, 0.2), "people-small.jsonl": (8, 4, 0.25)}


def _icu(transform: str, text: str) -> str:
    """A CLDR spelling as a partner's system keeps it: ASCII, apostrophes (soft signs, primes) left out."""
    ascii_text = icu.Transliterator.createInstance(f"{transform}; Latin-ASCII").transliterate(text)
    return " ".join(w.capitalize() for w in re.sub("['`\"]", "", ascii_text).split())


def spellings(script: str, native: str, curated: list[str]) -> dict[str, str]:
    """Convention -> spelling of one name part."""
    out = {conv: text for conv, text in zip(CURATED_CONVENTIONS, curated, strict=True)}
    out |= {conv: _icu(t, native) for conv, t in ICU.get(script, {}).items()}
    return out


def _dob(rng: random.Random) -> str:
    return (date(1940, 1, 1) + timedelta(days=rng.randrange(65 * 365))).isoformat()


def _queries(rng: random.Random, sur: dict[str, str], giv: dict[str, str], stored: str) -> list[dict[str, str]]:
    seen, out = {stored.casefold()}, []
    for conv in sur:
        parts = [giv[conv], sur[conv]]
        if rng.random() < 0.5:
            parts.reverse()
        text = " ".join(parts)
        if text.casefold() not in seen:
            seen.add(text.casefold())
            out.append({"convention": conv, "text": text})
    return out


def build(persons: int, absent: int, namesakes: float, seed: int = 33) -> list[dict]:
    rng = random.Random(seed)
    records: list[dict] = []
    for script, pools in CURATED.items():
        surnames = {n: spellings(script, n, s) for n, s in pools["surnames"].items()}
        given = {n: spellings(script, n, s) for n, s in pools["given"].items()}
        combos = [(s, g) for s in surnames for g in given]
        rng.shuffle(combos)
        for i, (s, g) in enumerate(combos[:persons]):
            sur, giv = surnames[s], given[g]
            native = {"last_name": s, "first_name": g}
            stored = native
            if rng.random() < 0.25:  # stored as a partner romanised it: then the script itself is a query too
                conv = rng.choice(sorted(sur))
                stored = {"last_name": sur[conv], "first_name": giv[conv]}
                sur, giv = {**sur, "native": s}, {**giv, "native": g}
            dob = _dob(rng)
            queries = _queries(rng, sur, giv, f"{stored['first_name']} {stored['last_name']}")
            person = {"kind": "person", "id": f"{script}-{i}", "script": script, "stored": stored, "dob": dob}
            records.append({**person, "queries": queries})
            if rng.random() < namesakes:  # the same name, another person: another date, or only a year known
                other = _dob(rng) if rng.random() < 0.5 else dob[:4]
                if other == dob:
                    other = _dob(rng)
                records.append({**person, "kind": "namesake", "id": f"{script}-{i}-namesake", "dob": other})
        for j, (s, g) in enumerate(combos[persons : persons + absent]):
            conv = rng.choice(sorted(surnames[s]))
            text = f"{given[g][conv]} {surnames[s][conv]}"
            records.append({"kind": "absent", "id": f"{script}-absent-{j}", "script": script, "query": text})
    return records


def main() -> None:
    for name, (persons, absent, namesakes) in SIZES.items():
        records = build(persons, absent, namesakes)
        with (HERE / name).open("w", encoding="utf-8") as out:
            for r in records:
                out.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{name}: {sum(r['kind'] == 'person' for r in records)} people, {len(records)} records")


if __name__ == "__main__":
    main()
