"""The other spellings of a name: romanisation conventions per script, name symbols and phonetic keys.

Plain Python. Partners romanise a name by whatever convention their systems use, so a stored name in a
non-Latin script is kept under every convention it is commonly written in (`spellings`): Cyrillic by ICAO
9303 (passports), BGN/PCGN (Russian and Ukrainian), ISO 9, German (Duden) and French usage; Greek by ELOT
743 (passports), the older BGN/PCGN and popular spelling; Han by Hanyu Pinyin and Wade-Giles; kana by
Hepburn and Kunrei; Hangul by the Revised Romanization (McCune-Reischauer spellings are reached by the
phonetic key); Latin with German umlauts written out. The CLDR conventions come from ICU (PyICU); the others
are the tables below, each from its published standard.

Equivalent names across languages and scripts (Georgios, Giorgos, Yiorgos, Γιώργος; Muhammad, Mohammed,
محمد) come from the name symbols OpenSanctions maintains in `rigour` (Wikidata given- and family-name
items); sounds-alike from rigour's metaphone.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import icu
from doublemetaphone import doublemetaphone
from rigour.names import NameTypeTag, analyze_names

MIN_SOUND_LETTERS, MIN_SOUND_KEY = 5, 3
# Symbols are name items: nicknames (Alex for Alexander) are left out, they join different people too readily.
_NAME_SYMBOL = "NAME"
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_GREEK = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff]")
_HANGUL = re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_HEBREW = re.compile("[\u0590-\u05ff\ufb1d-\ufb4f]")
_LATIN_EXTRA = re.compile("[äöüßçøåæÄÖÜẞÇØÅÆ]")
# Letters written out in other languages' conventions: German umlauts, Scandinavian ø/å/æ; ç as s (Portuguese,
# French) or ch (Turkish).
_LATIN_LETTERS = (
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss", "ç": "s", "ø": "oe", "å": "aa", "æ": "ae"},
    {"ç": "ch", "ß": "sz"},
)
_ICU_BY_SCRIPT = {
    "cyrillic": ("Russian-Latin/BGN", "Ukrainian-Latin/BGN", "Cyrillic-Latin"),
    "greek": ("Greek-Latin/UNGEGN", "Greek-Latin/BGN", "Greek-Latin"),
    "armenian": ("Armenian-Latin/BGN",),
    "georgian": ("Georgian-Latin/BGN",),
}

# ICAO 9303 (7th edition, part 3), the passport table; Ukrainian letters as the Ukrainian passport writes them.
ICAO_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяєіїґ",
        "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch ie y - e iu ia ie i i g".split(),
        strict=True,
    )
)
# German usage (Duden): w for в, sch for ш and ж, tsch for ч, z for ц, j for й and the iotated vowels.
GERMAN_CYRILLIC = {
    **ICAO_CYRILLIC,
    **dict(
        zip(
            "вжзйхцчшщъьюяёє",
            "w sch s j ch z tsch sch schtsch - - ju ja jo je".split(),
            strict=True,
        )
    ),
}
# French usage: ou for у, ch for ш, j for ж, tch for ч, iou/ia for ю/я.
FRENCH_CYRILLIC = {
    **ICAO_CYRILLIC,
    **dict(zip("жйухчшщюяёє", "j i ou kh tch ch chtch iou ia io ie".split(), strict=True)),
}
# Popular Greek spelling (as names are written in English-language press): i for every i-sound, h for χ.
GREEK_POPULAR_PAIRS = (
    ("ου", "ou"),
    ("αι", "e"),
    ("ει", "i"),
    ("οι", "i"),
    ("υι", "i"),
    ("αυ", "av"),
    ("ευ", "ev"),
    ("γγ", "ng"),
    ("τσ", "ts"),
    ("τζ", "tz"),
)
GREEK_POPULAR = dict(
    zip("αβγδεζηθικλμνξοπρσςτυφχψω", "a v g d e z i th i k l m n x o p r s s t i f h ps o".split(), strict=True)
)


def script_of(text: str) -> str:
    """The script a name is written in, for the conventions that apply to it ("latin" when none is found)."""
    for name, pattern in (
        ("cyrillic", _CYRILLIC),
        ("greek", _GREEK),
        ("kana", _KANA),
        ("han", _HAN),
        ("hangul", _HANGUL),
        ("arabic", _ARABIC),
        ("hebrew", _HEBREW),
    ):
        if pattern.search(text):
            return name
    for name, (first, last) in (("armenian", ("\u0530", "\u058f")), ("georgian", ("\u10a0", "\u10ff"))):
        if any(first <= c <= last for c in text):
            return name
    return "latin"


@functools.lru_cache(maxsize=64)
def _icu(transform: str, ascii_only: bool = True) -> icu.Transliterator:
    return icu.Transliterator.createInstance(f"{transform}; Latin-ASCII" if ascii_only else transform)


def _by_table(text: str, table: dict[str, str]) -> str:
    return "".join(table.get(c, c) for c in text).replace("-", "")


def _german(text: str) -> str:
    # Duden: е is je at the start of a word, с between vowels ss, ий/ый at the end i/y.
    text = re.sub(r"\bе", "je", text)
    text = re.sub("(?<=[аеиоуыэюя])с(?=[аеиоуыэюя])", "сс", text)
    text = re.sub(r"ий\b", "и", re.sub(r"ый\b", "ы", text))
    text = re.sub("(?<=[аеиоуыэюя])й", "и", text)  # й after a vowel is i (Saizew), j elsewhere
    return _by_table(text, GERMAN_CYRILLIC)


def _french(text: str) -> str:
    text = re.sub("(?<=[аеиоуыэюя])с(?=[аеиоуыэюя])", "сс", text)
    return _by_table(re.sub(r"ий\b", "и", text), FRENCH_CYRILLIC)


def _greek_popular(text: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    text = re.sub(r"\bμπ", "b", re.sub(r"\bντ", "d", re.sub(r"\bγκ", "g", text)))
    for pair, latin in GREEK_POPULAR_PAIRS:
        text = text.replace(pair, latin)
    return "".join(GREEK_POPULAR.get(c, c) for c in text)


# Hanyu Pinyin -> Wade-Giles (apostrophes and umlauts left out, as passports and most databases write it).
_WG_INITIALS = (
    ("zh", "ch"),
    ("ch", "ch"),
    ("sh", "sh"),
    ("b", "p"),
    ("d", "t"),
    ("g", "k"),
    ("j", "ch"),
    ("q", "ch"),
    ("x", "hs"),
    ("z", "ts"),
    ("c", "ts"),
    ("r", "j"),
)
_WG_FINALS = (("iong", "iung"), ("ong", "ung"), ("ian", "ien"), ("ie", "ieh"), ("ue", "ueh"), ("yan", "yen"))


def wade_giles(syllable: str) -> str:
    """One Pinyin syllable in Wade-Giles: "xiao" -> "hsiao", "long" -> "lung", "zhou" -> "chou", "si" -> "ssu"."""
    special = {"zi": "tzu", "ci": "tzu", "si": "ssu", "zhi": "chih", "chi": "chih", "shi": "shih", "ri": "jih"}
    if syllable in special:
        return special[syllable]
    if syllable in ("ye", "yong", "you", "yi", "e", "er"):
        return {"ye": "yeh", "yong": "yung", "you": "yu", "yi": "i", "e": "o", "er": "erh"}[syllable]
    initial, rest = "", syllable
    for py, wg in _WG_INITIALS:
        if syllable.startswith(py):
            initial, rest = wg, syllable[len(py) :]
            break
    for py, wg in _WG_FINALS:
        if rest.endswith(py):
            rest = rest[: -len(py)] + wg
            break
    if rest == "e" and initial in ("k", "h"):
        rest = "o"
    if rest == "uo" and initial not in ("k", "h", "sh"):
        rest = "o"
    return initial + rest


def _kunrei(hepburn: str) -> str:
    """Hepburn romaji in Kunrei-shiki ("shi" -> "si", "chi" -> "ti", "ja" -> "zya")."""
    out = hepburn
    for a, b in (("shi", "si"), ("chi", "ti"), ("tsu", "tu"), ("fu", "hu"), ("ji", "zi")):
        out = out.replace(a, b)
    for a, b in (("sh", "sy"), ("ch", "ty"), ("j", "zy")):
        out = out.replace(a, b)
    return out


# Hangul in McCune-Reischauer (diacritics and apostrophes left out): k, t, p, ch where the Revised Romanization
# writes g, d, b, j at the start of a syllable; o and u where it writes eo and eu.
_MR = (("eo", "o"), ("eu", "u"))
_MR_INITIAL = {"g": "k", "d": "t", "b": "p", "j": "ch"}


def mccune_reischauer(syllable: str) -> str:
    """One Revised Romanization syllable in McCune-Reischauer: "ji" -> "chi", "hyeon" -> "hyon", "eun" -> "un"."""
    out = _MR_INITIAL.get(syllable[:1], syllable[:1]) + syllable[1:] if syllable else syllable
    for a, b in _MR:
        out = out.replace(a, b)
    return out


def latin_of(text: str) -> str:
    """Lower-case ASCII words of a romanisation (apostrophes and hyphens out)."""
    return " ".join(re.sub("[^a-z0-9]+", " ", re.sub("['`\u02b9\u02bc\u2019]", "", text.lower())).split())


def spellings(name: str, latin: str) -> list[str]:
    """Romanisations of one name beyond its Latin key `latin` (lower case, unfolded: the caller folds them)."""
    script = script_of(name)
    lowered = name.casefold()
    out = [_icu(t).transliterate(name) for t in _ICU_BY_SCRIPT.get(script, ())]
    if script == "cyrillic":
        out += [_by_table(lowered, ICAO_CYRILLIC), _german(lowered), _french(lowered)]
    elif script == "greek":
        out.append(_greek_popular(lowered))
    elif script == "han":
        out.append(" ".join(wade_giles(s) for s in latin.split()))
    elif script == "hangul":
        out.append(" ".join(mccune_reischauer(s) for s in latin.split()))
    elif script == "kana":  # anyascii spells kana one by one (ショ as "shiyo"): ICU reads the digraphs
        macrons = _icu("Hiragana-Katakana; Katakana-Latin/BGN", ascii_only=False).transliterate(name).lower()
        for long_o, long_u in (("o", "u"), ("ou", "uu"), ("oh", "u")):
            hepburn = latin_of(_icu("Latin-ASCII").transliterate(macrons.replace("ō", long_o).replace("ū", long_u)))
            out += [hepburn, _kunrei(hepburn)]
    elif script == "latin" and _LATIN_EXTRA.search(name):
        for table in _LATIN_LETTERS:
            out.append("".join(table.get(c, c) for c in lowered))
    return out


def without_article(word: str) -> str | None:
    """An Arabic word without its article (الرشيد -> رشيد), or None when it has none (nor for الله, Allah, whose
    rest is no name)."""
    return word[2:] if word.startswith("ال") and len(word) > 4 else None


# Hebrew letters as the consonant classes of `shared.names.skeleton` (pe p, bet b, tsadi and zayin s, het h, kaf
# and qof k); alef, ayin and yod are vowels in Latin spellings. Vav is a consonant (David, Levi) or a vowel
# (Yosef, Moshe), a final he a vowel (Moshe, Sarah) or not: both are kept.
_HEBREW_CONSONANTS = dict(
    zip("בגדהזחטכךלמםנןסףפצץקרשתג", "b g d h s h t k k l m m n n s p p s s k r s t g".split(), strict=True)
)


def hebrew_consonants(word: str) -> set[str]:
    """The consonant skeletons of a Hebrew word ("יוסף" -> {"sp", "bsp"}, "משה" -> {"ms", "msh"})."""
    forms = {word, word.replace("ו", "")}
    forms |= {f[:-1] for f in forms if f.endswith("ה") and len(f) > 2}
    out = set()
    for form in forms:
        letters = "".join("b" if c == "ו" else _HEBREW_CONSONANTS.get(c, "") for c in form)
        if letters:
            out.add(re.sub(r"(.)\1+", r"\1", letters))
    return out


@functools.lru_cache(maxsize=65536)
def symbols(name: str) -> tuple[tuple[tuple[str, ...], frozenset[str]], ...]:
    """rigour's name symbols of a name: (the parts' forms, the symbol ids) per span, for names of people."""
    out = []
    for analysed in analyze_names(NameTypeTag.PER, [name], consolidate=False, phonetics=False, numerics=False):
        by_parts: dict[tuple[str, ...], set[str]] = {}
        for span in analysed.spans:
            if span.symbol.category.value == _NAME_SYMBOL:
                by_parts.setdefault(tuple(p.form for p in span.parts), set()).add(span.symbol.id)
        out += [(parts, frozenset(ids)) for parts, ids in by_parts.items()]
    return tuple(out)


# One sound written the ways other conventions write it, rewritten to one spelling before a word is keyed (in
# order): German and French Cyrillic (Schtschukin, Scherbakow for shch, Tchernov, Kowaltschuk, Iwanow), Greek
# BGN/PCGN (dh for delta, gh for gamma, y for gamma before e and i: Dhimitriou, Yeoryiou, Karayiannis),
# Kunrei-shiki kana (zyun, kenzi, sato/satou/satoh), the ou of French and the oo/ee of English (Youn, Alkhateeb).
_ACROSS_CONVENTIONS = (
    ("schtsch", "shch"),
    ("chtch", "shch"),
    ("shch", "sh"),
    ("tsch", "ch"),
    ("tch", "ch"),
    ("sch", "sh"),
    ("w", "v"),
    ("dh", "d"),
    ("gh", "g"),
    ("yi", "gi"),
    ("ye", "ge"),
    ("zy", "j"),
    ("zi", "ji"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("oh", "o"),
    ("uh", "u"),
    ("tz", "z"),
    ("ts", "z"),
)


def across_conventions(word: str) -> str:
    """A Latin word in one spelling of its sounds (the rewrites of `_ACROSS_CONVENTIONS`, doubles collapsed)."""
    for a, b in _ACROSS_CONVENTIONS:
        word = word.replace(a, b)
    return re.sub(r"(.)\1+", r"\1", word)


@functools.lru_cache(maxsize=65536)
def sounds(word: str) -> tuple[str, ...]:
    """The double metaphone keys (primary and alternate) of a Latin word as written and in one spelling across
    conventions (`across_conventions`); none for words under MIN_SOUND_LETTERS letters or keys under
    MIN_SOUND_KEY: metaphone drops vowels, so short words and short keys join different names (Jang and Jung)."""
    if len(word) < MIN_SOUND_LETTERS or not word.isalpha():
        return ()
    one = across_conventions(word)
    forms = (word, one, one.replace("j", "y"))  # German j for y (Juri, Jelena, Elijahu)
    keys = {k for w in forms for k in doublemetaphone(w) if len(k) >= MIN_SOUND_KEY}
    return tuple(sorted(keys))


# Latin words read back into these scripts (the CLDR reverse transforms) to be spelled in their other conventions.
_READ_BACK = ("Latin-Russian/BGN", "Latin-Greek/UNGEGN")


@functools.lru_cache(maxsize=65536)
def read_back(word: str) -> list[str]:
    """A Latin word as Cyrillic and Greek would write it ("chernov" -> "чернов"), for the conventions' spellings."""
    if not word.isalpha() or len(word) < MIN_SOUND_LETTERS:
        return []
    return [_icu(t, ascii_only=False).transliterate(word) for t in _READ_BACK]
