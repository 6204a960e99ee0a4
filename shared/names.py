"""Names in any script found from plain Latin: the one folding and matching every service uses.

Plain Python. A stored name gets three search keys: its own script folded (`fold`), a Latin key
(`latin`, transliterated by anyascii), and whole-word terms: the own-script words marked "=", the Latin
words of every romanisation convention the name is commonly written in (`name_spellings.spellings`) with
every run of consecutive words joined (`words`: CJK syllables are separable, "li xiaolong" finds 李小龙),
each word's consonant skeleton marked "~" (`skeleton`) for names written in an abjad only (Arabic, Hebrew,
Syriac and Thaana leave short vowels unwritten, so "ahmed hassan" finds أحمد حسن through "hmd hsn";
alphabets write their vowels, so "ivan" does not find "van"), the name's symbols marked "#" (rigour's
equivalent names across languages: Georgios = Giorgos = Γιώργος) and each word's metaphone key marked "%".
A query matches when every one of its words matches some stored term, in any order; the weakest rule any
word needed decides the rank (`RULES`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from anyascii import anyascii

from shared import name_spellings as spelled
from shared.errors import Invalid

# The name fields of an encounter, in the order a match reason names them.
FIELDS = ("last_name", "first_name", "middle_name", "aliases")

# rank -> (kind, rule); the SQL in services/cases/db/person_match.py ranks with the same numbers.
RULES: tuple[tuple[str, str], ...] = (
    ("exact", "same words"),  # as written, case, accents and punctuation ignored
    ("transliterated", "latin words"),  # the words of a romanisation (any convention)
    ("transliterated", "consonants"),  # consonant skeletons, for names written in an abjad
    ("equivalent", "same name"),  # the same name in another language or spelling (rigour's name symbols)
    ("phonetic", "sounds alike"),  # the same metaphone key
    ("fuzzy", "part of a word"),  # a query word of 3+ letters inside a stored Latin word
)
EXACT, LATIN, CONSONANTS, SAME_NAME, PHONETIC, PARTIAL = range(len(RULES))
# The rules answered by whole stored terms, weakest last.
WHOLE_WORD_RULES = (LATIN, CONSONANTS, SAME_NAME, PHONETIC)

# A run of more words than this is not joined (names are short; this bounds the key's size).
MAX_RUN = 4
# Shorter query words only match whole words: a trigram index cannot look up one or two letters.
MIN_PARTIAL = 3
# A search names one person: more words than this is refused (each word is a condition in the SQL).
MAX_QUERY_WORDS = 12
# Own-script words and skeletons share the terms array with the Latin words: one GIN index answers every
# whole-word rule, and PostgreSQL's element statistics estimate each rule's rows well enough to plan it.
OWN, SKELETON, SYMBOL, SOUND, ROMANISED, SPELLED = "=", "~", "#", "%", "^", "+"
# The stored skeleton of an Arabic article: written with a vowel, so no word's skeleton can be it.
ARTICLE = "al"
# Arabic articles as typed in Latin (al-, el-, and the assimilated forms before sun letters): an article word
# matches a stored article, and a word written with one also matches without it.
_ARTICLES = frozenset(
    {"al", "el", "ul", "ad", "ar", "as", "at", "az", "an", "ash", "ath", "adh", "ed", "en", "er", "es", "et", "ez"}
)
_JOINED_ARTICLE = re.compile(r"^(?:[aeu]l|[ae]([dnrstz])\1|[ae]sh)(?=[a-z]{3})")
# "Son of" and "daughter of" as Arabic and Hebrew names are written in Latin: any spelling matches the others.
_SON_OF, _DAUGHTER_OF = frozenset({"ibn", "bin", "ben", "bn"}), frozenset({"bint", "binti", "bent", "bat"})
# Abd al-, Abdul, Abdel, Abdoul: "servant of the", written as one word in Latin, two in Arabic.
_ABD = re.compile(r"^abd[aeiou]*l$")

# Apostrophes are dropped, not spaced (as in a passport's machine-readable zone: O'Brien -> OBRIEN); they
# are also what anyascii writes for Arabic hamza and ain.
_APOSTROPHES = re.compile("['`\u00b4\u02b9\u02bb\u02bc\u02bd\u02be\u02bf\u2018\u2019\u2032]")
_NOT_WORD = re.compile(r"[^\w]+|_")
_NOT_LATIN = re.compile(r"[^a-z0-9]+")
# anyascii writes each Han, Hangul (and similar) syllable capitalised: "LiXiaoLong". The input is casefolded
# first, so an upper-case letter after a letter or digit starts a syllable.
_SYLLABLE = re.compile(r"(?<=[A-Za-z0-9])(?=[A-Z])")
# Greek omicron-upsilon is one sound, written "ou" by every romanisation (ELOT 743, passports); anyascii gives "oy".
_GREEK_OU = re.compile("[οό][υύ]")
_VOWELS = re.compile("[aeiouyw]+")
# Arabic (with its supplements and presentation forms), Hebrew, Syriac, Thaana.
_ABJAD = re.compile(
    "[\u0590-\u05ff\u0600-\u06ff\u0700-\u074f\u0750-\u077f\u0780-\u07bf\u08a0-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]"
)
# Accents and vowel points (Latin, Greek, Cyrillic diacritics; Hebrew niqqud; Arabic harakat) are folded; marks
# that make another letter are not (kana voicing: ジ is not シ; Indic vowel signs).
_MARKS = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u0591-\u05c7\u064b-\u065f\u0670]"
)
_DOUBLES = re.compile(r"(.)\1+")
# Letters that write one abjad letter in different romanisations, taken as one in consonant skeletons: Hebrew
# pe is p or f (Kaplan, Yosef), bet b or v (Avraham, Abraham), tsadi ts, tz or z (Peretz, Perez); Arabic has
# no p or v, so nothing of Arabic is joined that was apart.
_CONSONANT_CLASSES = (("tz", "s"), ("ts", "s"), ("z", "s"), ("f", "p"), ("v", "b"))


def fold(text: str | None) -> str:
    """A name as written, in its own script: case, accents and punctuation folded ("exact" form)."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = unicodedata.normalize("NFC", _MARKS.sub("", decomposed))
    return " ".join(_NOT_WORD.sub(" ", _APOSTROPHES.sub("", stripped.casefold())).split())


def latin(text: str | None) -> str:
    """The Latin search key of a name: transliterated, accents and case folded, punctuation to spaces,
    CJK syllables separated ("李小龙" -> "li xiao long", "Παπαδόπουλος" -> "papadopoulos")."""
    if not text:
        return ""
    lowered = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text).casefold())
    ascii_text = anyascii(_GREEK_OU.sub("ou", lowered))
    spaced = _SYLLABLE.sub(" ", ascii_text).lower()
    return " ".join(_NOT_LATIN.sub(" ", _APOSTROPHES.sub("", spaced)).split())


def skeleton(word: str) -> str:
    """Consonants of a Latin word: vowels (and the half-vowels w, y) dropped, c/q as k, kh as k, ph as f, the h
    ending a word after two consonants dropped (not the h of sh, th, dh, gh), letters one abjad letter is written
    as taken as one (`_CONSONANT_CLASSES`: f/p, v/b, s/z/ts/tz), doubles collapsed: "hassan" -> "hsn", "ahmed"
    -> "hmd", "fatimah" -> "ptm", "aisha" -> "sh", "peretz" -> "prs"."""
    w = word.replace("ph", "f").replace("c", "k").replace("q", "k").replace("kh", "k")
    s = _DOUBLES.sub(r"\1", _VOWELS.sub("", w))
    # Not down to one consonant: "allah" stays "lh", apart from "ali".
    if len(s) > 2 and word.endswith("h") and s[-2] not in "stdgz":
        s = s[:-1]
    for a, b in _CONSONANT_CLASSES:
        s = s.replace(a, b)
    return _DOUBLES.sub(r"\1", s)


def is_abjad(text: str) -> bool:
    """Whether a name is written in a script that leaves short vowels out."""
    return _ABJAD.search(text) is not None


def words(name: str | None) -> list[str]:
    """Latin words of one name and every run of up to MAX_RUN consecutive words joined."""
    return _runs(latin(name).split())


def _values(names: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, name) pairs of a record, aliases one by one."""
    out = []
    for field, value in names.items():
        if isinstance(value, str):
            out.append((field, value))
        elif isinstance(value, Sequence):
            out.extend((field, v) for v in value if isinstance(v, str))
    return [(f, v) for f, v in out if v.strip()]


@dataclass(frozen=True)
class NameKeys:
    """What is stored with a record for searching: own-script form, Latin key, whole-word terms."""

    search: str
    key: str
    terms: list[str]  # "=" + own-script words, Latin words and runs, "~" + skeletons (abjad names)

    def columns(self) -> dict[str, Any]:
        return {"name_search": self.search, "name_key": self.key, "name_terms": self.terms}


def warm_up() -> None:
    """Build the name tables now (rigour's tagger, ICU's transforms) rather than on the first name a process keys."""
    keys(["Γιώργος", "Шевченко", "ショウタ", "Georgios"])
    NameQuery.parse("georgios chernov")


def _runs(parts: list[str]) -> list[str]:
    out = []
    for size in range(1, min(MAX_RUN, len(parts)) + 1):
        out.extend("".join(parts[i : i + size]) for i in range(len(parts) - size + 1))
    return out


def _abjad_words(name: str) -> set[str]:
    """Latin words and runs of an abjad name, also without its articles (الرشيد: "lrshyd" and "rshyd")."""
    forms = {name, " ".join(spelled.without_article(w) or w for w in name.split())}
    return {w for form in forms for w in words(form)}


def _abjad_skeletons(name: str) -> set[str]:
    """Consonant skeletons of an abjad name: Hebrew's read from its letters (`name_spellings.hebrew_consonants`:
    vav and a final he as consonants or as vowels), others from their Latin words."""
    if spelled.script_of(name) == "hebrew":
        return {s for w in fold(name).split() for s in spelled.hebrew_consonants(w)}
    return {s for s in map(skeleton, _abjad_words(name)) if s}


@functools.lru_cache(maxsize=65536)
def _name_keys(name: str) -> tuple[str, str, frozenset[str]]:
    """One name's own-script form, Latin key and terms (names repeat: first names above all)."""
    own, key = fold(name), latin(name)
    latin_words = set(words(name))
    for other in spelled.spellings(name, key):
        latin_words.update(_runs(latin(other).split()))
    terms = {OWN + w for w in own.split()} | latin_words
    if is_abjad(name):
        abjad = _abjad_words(name)
        terms |= abjad | {SKELETON + s for s in _abjad_skeletons(name)}
        if any(spelled.without_article(w) for w in name.split()):
            terms.add(SKELETON + ARTICLE)  # the article itself, as "al" or "el" is typed
    else:  # for a query typed in an abjad: a name stored romanised is compared by its consonants too
        terms |= {ROMANISED + s for w in latin_words for s in _skeletons(w)}
        # An article written joined (Alkhateeb, Elrachid) is also the article and the name after it.
        for w in key.split():
            if (m := _JOINED_ARTICLE.match(w)) and m.group(0) in ("al", "el"):
                latin_words |= {ARTICLE, w[m.end() :]}
                terms |= {ARTICLE, w[m.end() :]}
    terms |= {SOUND + k for w in latin_words for k in spelled.sounds(w)}
    terms |= {SPELLED + spelled.across_conventions(w) for w in latin_words}
    terms |= {SYMBOL + i for _, ids in spelled.symbols(name) for i in ids}
    return own, key, frozenset(terms)


def keys(names: Mapping[str, Any] | Iterable[str | None]) -> NameKeys:
    """Search keys of every name of a record (a field -> name or names mapping, or plain names)."""
    values = [v for _, v in _values(names)] if isinstance(names, Mapping) else [n for n in names if n]
    per_name = [_name_keys(v) for v in values]
    return NameKeys(
        search=" ".join(own for own, _, _ in per_name if own),
        key=" ".join(key for _, key, _ in per_name if key),
        terms=sorted(frozenset().union(*(terms for _, _, terms in per_name))),
    )


@dataclass(frozen=True)
class NameQuery:
    """A typed name split the ways it is compared: own-script words, Latin words, and per Latin word the stored
    terms that match it by each whole-word rule (`alternatives`)."""

    text: str
    own: tuple[str, ...]
    latin: tuple[str, ...]
    alternatives: tuple[dict[int, tuple[str, ...]], ...]

    @classmethod
    def parse(cls, text: str | None) -> NameQuery | None:
        """None when the text holds no letter or digit to search for. Kept per text (`_parsed`): the same names are
        searched again and again, and reading one (rigour's tagger, spellings in other conventions) cost more than
        cases' other Python work on a lookup."""
        return _parsed(text or "")

    @classmethod
    def _parse(cls, text: str) -> NameQuery | None:
        latin_words = tuple(dict.fromkeys(latin(text).split()))
        if not latin_words:
            return None
        if len(latin_words) > MAX_QUERY_WORDS:
            raise Invalid(f"a name to search for has at most {MAX_QUERY_WORDS} words")
        symbols = _query_symbols(text or "", latin_words)
        spellings = _query_spellings(text or "")
        own_words = fold(text).split()
        hebrew = {latin(w): spelled.hebrew_consonants(w) for w in own_words if spelled.script_of(w) == "hebrew"}
        return cls(
            text=text or "",
            own=tuple(dict.fromkeys(fold(text).split())),
            latin=latin_words,
            alternatives=tuple(
                _alternatives(
                    w, symbols.get(w, frozenset()), spellings.get(w, frozenset()), is_abjad(text or ""), hebrew.get(w)
                )
                for w in latin_words
            ),
        )

    def own_terms(self) -> list[str]:
        """The stored terms of an exact match: every query word as written (folded)."""
        return [OWN + w for w in self.own]

    def terms(self, i: int, up_to: int = PHONETIC) -> list[str]:
        """The stored terms that match query word i whole by a rule up to `up_to` (every whole-word rule)."""
        return [t for rule in WHOLE_WORD_RULES if rule <= up_to for t in self.alternatives[i].get(rule, ())]


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> NameQuery | None:
    """A query once read, shared: a NameQuery is never changed after it is made."""
    return NameQuery._parse(text)


# Other conventions' letters for the same consonant, tried one at a time on a query word: French ch (Rachid,
# Aicha), German sch and j (Schlomo, Elijahu), ch for het (Chaim, Mizrachi), sh for shin written s.
_CONSONANT_SPELLINGS = (("ch", "sh"), ("ch", "h"), ("sch", "sh"), ("sch", "s"), ("sh", "s"), ("j", "y"), ("ou", "u"))


def _skeletons(word: str) -> list[str]:
    """A query word's consonant skeletons: as typed, in the other conventions' letters, without a joined
    article, and Abdul as Abd + article."""
    out = [skeleton(word)] + [skeleton(word.replace(a, b)) for a, b in _CONSONANT_SPELLINGS if a in word]
    if word in _ARTICLES or _ABD.match(word):
        out += [ARTICLE, "bd"] if _ABD.match(word) else [ARTICLE]
    elif m := _JOINED_ARTICLE.match(word):
        out.append(skeleton(word[m.end() :]))
    # A long word reduced to one consonant says little ("ioannou" -> "n"); short names may be one ("ali" -> "l").
    return [s for s in dict.fromkeys(out) if s and (len(s) > 1 or len(word) <= 4)]


def _alternatives(
    word: str, symbols: frozenset[str], spellings: frozenset[str], abjad: bool, hebrew: set[str] | None = None
) -> dict[int, tuple[str, ...]]:
    skeletons = sorted(hebrew) if hebrew else _skeletons(word)
    articles = next((s for s in (_ARTICLES, _SON_OF, _DAUGHTER_OF) if word in s), frozenset())  # al-, el-, ash-
    return {
        LATIN: (word, *sorted((spellings | articles) - {word}), SPELLED + spelled.across_conventions(word)),
        CONSONANTS: tuple(SKELETON + s for s in skeletons) + tuple(ROMANISED + s for s in skeletons if abjad),
        SAME_NAME: tuple(SYMBOL + i for i in sorted(symbols)),
        PHONETIC: tuple(SOUND + k for k in spelled.sounds(word)),
    }


def _query_spellings(text: str) -> dict[str, frozenset[str]]:
    """Other romanisations of each query word, for names stored as a partner romanised them: a word typed in its
    own script in every convention, a Latin word read back into Cyrillic and Greek and spelled again (the
    query "Chernov" also finds the ISO 9 "Cernov" and the German "Tschernow")."""
    out: dict[str, set[str]] = {}
    for word in fold(text).split():
        own = latin(word).split()
        sources = [word] if spelled.script_of(word) != "latin" else spelled.read_back(word)
        for source in sources:
            for other in spelled.spellings(source, latin(source)):
                variant = latin(other).split()
                if len(variant) == len(own):  # one word to one word (CJK syllables stay aligned)
                    for w, v in zip(own, variant, strict=True):
                        out.setdefault(w, set()).add(v)
            if source != word:
                out.setdefault(own[0], set()).add(latin(source))
    return {w: frozenset(v) for w, v in out.items()}


def _query_symbols(text: str, latin_words: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """The name symbols of each query word: a span's symbols go to every word of it (Abdul Rahman is one name)."""
    out: dict[str, set[str]] = {}
    for parts, ids in spelled.symbols(text):
        for part in parts:
            for w in latin(part).split():
                if w in latin_words:
                    out.setdefault(w, set()).update(ids)
    return {w: frozenset(ids) for w, ids in out.items()}


def _word_rank(query: NameQuery, i: int, name: str) -> int | None:
    """The best rule by which query word i matches one stored name (the same terms the SQL looks up)."""
    word = query.latin[i]
    _, key, terms = _name_keys(name)
    for rule in WHOLE_WORD_RULES:
        if any(t in terms for t in query.alternatives[i].get(rule, ())):
            return rule
    if len(word) >= MIN_PARTIAL and word in key:
        return PARTIAL
    return None


def explain(query: NameQuery, names: Mapping[str, Any]) -> dict[str, Any] | None:
    """Why a record's names match a query (kind, rule, rank, fields and the stored name), or None."""
    values = _values(names)
    if not values:
        return None
    own = {(f, w) for f, v in values for w in _name_keys(v)[0].split()}
    if query.own and all(any(w == ow for _, ow in own) for w in query.own):
        fields = [f for f in FIELDS if any(fw == f and ow in query.own for fw, ow in own)]
        return _reason(EXACT, fields or [values[0][0]], values)
    ranks: list[tuple[int, set[str]]] = []
    for i in range(len(query.latin)):
        found: dict[str, int] = {}
        for f, v in values:
            if (r := _word_rank(query, i, v)) is not None:
                found[f] = min(r, found.get(f, r))
        if not found:
            return None
        best = min(found.values())
        ranks.append((best, {f for f, r in found.items() if r == best}))
    rank = max(r for r, _ in ranks)
    matched = set().union(*(fs for _, fs in ranks))
    return _reason(rank, [f for f in (*FIELDS, *(f for f, _ in values)) if f in matched], values)


def _reason(rank: int, fields: list[str], values: list[tuple[str, str]]) -> dict[str, Any]:
    fields = list(dict.fromkeys(fields))
    kind, rule = RULES[rank]
    value = next(v for f, v in values if f == fields[0])
    return {"kind": kind, "rule": rule, "rank": rank, "field": fields[0], "fields": fields, "value": value}
