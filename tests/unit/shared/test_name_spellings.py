"""A person is found however the name is spelled: per script, per romanisation convention, by equivalent given
names, by sound; ranked exact > transliterated > equivalent > phonetic > fuzzy and explained."""

from __future__ import annotations

import pytest

from shared import name_spellings, names

STORED = {
    "greek": {"last_name": "Παπαδόπουλος", "first_name": "Γιώργος"},
    "cyrillic": {"last_name": "Шевченко", "first_name": "Юрий"},
    "arabic": {"last_name": "الرشيد", "first_name": "محمد"},
    "arabic-compound": {"last_name": "الخطيب", "first_name": "عبد الرحمن"},
    "hebrew": {"last_name": "כהן", "first_name": "יוסף"},
    "han": {"last_name": "李", "first_name": "小龙"},
    "hangul": {"last_name": "김", "first_name": "민수"},
    "kana": {"last_name": "サトウ", "first_name": "ショウタ"},
    "latin": {"last_name": "Müller-Gonçalves", "first_name": "Jürgen"},
    "english": {"last_name": "Smith", "first_name": "John"},
}


def why(query: str, record: str) -> tuple[str, str] | None:
    q = names.NameQuery.parse(query)
    assert q is not None
    m = names.explain(q, STORED[record])
    return (m["kind"], m["rule"]) if m else None


LATIN = ("transliterated", "latin words")
CONSONANTS = ("transliterated", "consonants")
SAME_NAME = ("equivalent", "same name")
SOUNDS = ("phonetic", "sounds alike")


@pytest.mark.parametrize(
    ("record", "query", "expected"),
    [
        # Greek: ELOT 743 (passports), the older BGN/PCGN, the formal given name on a passport.
        ("greek", "giorgos papadopoulos", LATIN),
        ("greek", "yiorgos papadhopoulos", LATIN),
        ("greek", "georgios papadopoulos", SAME_NAME),
        ("greek", "papadopoulos", LATIN),  # adding the given name keeps the match the surname had
        # Cyrillic: BGN/PCGN, ICAO 9303, ISO 9, German and French usage.
        ("cyrillic", "yuriy shevchenko", LATIN),
        ("cyrillic", "iurii shevchenko", LATIN),
        ("cyrillic", "urij sevcenko", LATIN),
        ("cyrillic", "juri schewtschenko", LATIN),
        ("cyrillic", "iouri chevtchenko", LATIN),
        # Arabic: vowels as any convention writes them, the article with or without, French ch.
        ("arabic", "mohammed al-rashid", CONSONANTS),
        ("arabic", "muhammad rashid", CONSONANTS),
        ("arabic", "mohamed el rachid", CONSONANTS),
        ("arabic", "alrashid mohamed", CONSONANTS),
        ("arabic-compound", "abdul rahman al-khatib", CONSONANTS),
        ("arabic-compound", "abdurrahman alkhateeb", CONSONANTS),
        ("arabic-compound", "abdelrahman el khatib", CONSONANTS),
        # Hebrew: vav as a vowel, German j and sch.
        ("hebrew", "yosef cohen", CONSONANTS),
        ("hebrew", "yossef kohn", CONSONANTS),
        # Han: Hanyu Pinyin, and Wade-Giles with the Hong Kong and Taiwan surname Lee (ee for i, as English
        # writes it: one spelling across conventions).
        ("han", "li xiaolong", LATIN),
        ("han", "li hsiao-lung", LATIN),
        ("han", "lee hsiao lung", LATIN),
        ("han", "lee xiao long", LATIN),
        # Hangul: the Revised Romanization, McCune-Reischauer, the passport's Kim and "soo".
        ("hangul", "gim minsu", LATIN),
        ("hangul", "kim min su", LATIN),  # McCune-Reischauer writes 김 as Kim
        ("hangul", "kim minsoo", LATIN),  # oo for u, as the passport writes it
        # Kana: Hepburn, Kunrei-shiki, long vowels as passports write them.
        ("kana", "sato shota", LATIN),
        ("kana", "satou syouta", LATIN),
        ("kana", "satoh shohta", LATIN),
        # Latin: German umlauts and Portuguese ç written out.
        ("latin", "juergen mueller goncalves", LATIN),
        ("latin", "jurgen gonsalves", LATIN),
        # Sounds alike, for Latin spellings no table lists.
        ("english", "smythe", SOUNDS),
    ],
)
def test_a_name_is_found_in_every_convention(record: str, query: str, expected: tuple[str, str]) -> None:
    assert why(query, record) == expected


@pytest.mark.parametrize(
    ("record", "query"),
    [
        ("greek", "dimitrios papadopoulos"),  # another given name: every word must match
        ("cyrillic", "yuriy shevchuk"),
        ("arabic", "ahmed al-rashid"),
        ("hangul", "park minsu"),
        ("han", "wang xiaolong"),
        ("english", "ivan smith"),
    ],
)
def test_a_different_person_of_the_same_surname_is_not_found(record: str, query: str) -> None:
    assert why(query, record) is None


def test_rules_rank_exact_then_spelling_then_equivalent_then_sound_then_part_of_a_word() -> None:
    assert names.EXACT < names.LATIN < names.CONSONANTS < names.SAME_NAME < names.PHONETIC < names.PARTIAL
    assert [kind for kind, _ in names.RULES] == [
        "exact",
        "transliterated",
        "transliterated",
        "equivalent",
        "phonetic",
        "fuzzy",
    ]
    assert why("smith", "english") == ("exact", "same words")
    assert why("smi", "english") == ("fuzzy", "part of a word")


def test_the_explanation_names_the_field_each_rule_matched() -> None:
    q = names.NameQuery.parse("georgios papadopoulos")
    assert q is not None
    m = names.explain(q, STORED["greek"])
    assert m is not None and m["fields"] == ["last_name", "first_name"] and m["value"] == "Παπαδόπουλος"


@pytest.mark.parametrize(
    ("pinyin", "wade_giles"),
    [("xiao", "hsiao"), ("long", "lung"), ("zhou", "chou"), ("si", "ssu"), ("qing", "ching"), ("guo", "kuo")],
)
def test_pinyin_syllables_in_wade_giles(pinyin: str, wade_giles: str) -> None:
    assert name_spellings.wade_giles(pinyin) == wade_giles


def test_hangul_syllables_in_mccune_reischauer() -> None:
    assert [name_spellings.mccune_reischauer(s) for s in ("ji", "hyeon", "eun", "bak", "deok")] == [
        "chi",
        "hyon",
        "un",
        "pak",
        "tok",
    ]


def test_each_script_is_recognised() -> None:
    samples = {"Иван": "cyrillic", "Νίκος": "greek", "李": "han", "김": "hangul", "サトウ": "kana"}
    samples |= {"محمد": "arabic", "כהן": "hebrew", "Արամ": "armenian", "გიორგი": "georgian", "Smith": "latin"}
    assert {text: name_spellings.script_of(text) for text in samples} == samples


def test_keys_are_cached_per_distinct_name() -> None:
    names._name_keys.cache_clear()
    for _ in range(3):
        names.keys({"last_name": "Шевченко", "first_name": "Юрий"})
    info = names._name_keys.cache_info()
    assert (info.misses, info.hits) == (2, 4)
