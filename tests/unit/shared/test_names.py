"""Names in any script are found from plain Latin, ranked exact > transliterated > fuzzy; DOBs of any precision."""

from __future__ import annotations

import pytest

from shared import dob, names
from shared.errors import Invalid

RECORDS = {
    "cyrillic": {"last_name": "Иванова", "first_name": "Анна", "middle_name": "Сергеевна"},
    "arabic": {"last_name": "حسن", "first_name": "أحمد"},
    "chinese": {"last_name": "李小龙"},
    "chinese-split": {"last_name": "李", "first_name": "小龙"},
    "vietnamese": {"last_name": "Trần", "first_name": "Văn An"},
    "greek": {"last_name": "Παπαδόπουλος", "first_name": "Γιώργος"},
    "latin": {"last_name": "Gonçalves Müller", "first_name": "José", "aliases": ["Zé Müller"]},
    "irish": {"last_name": "O'Brien", "first_name": "Seán"},
}


def found(query: str) -> dict[str, tuple[str, str, list[str]]]:
    q = names.NameQuery.parse(query)
    assert q is not None
    return {k: (m["kind"], m["rule"], m["fields"]) for k, v in RECORDS.items() if (m := names.explain(q, v))}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Иванова", "ivanova"),
        ("أحمد حسن", "hmd hsn"),  # unvowelled: what the script writes (hamza dropped like an apostrophe)
        ("李小龙", "li xiao long"),  # CJK syllables separated
        ("Trần Văn An", "tran van an"),
        ("Παπαδόπουλος", "papadopoulos"),  # omicron-upsilon is "ou", not anyascii's "oy"
        ("  MÜLLER-Lüdenscheidt ", "muller ludenscheidt"),  # punctuation to spaces, accents and case folded
        ("O'Brien", "obrien"),  # apostrophes dropped, as in a passport's MRZ
        ("Ђорђевић", "djordjevic"),
        ("김민수", "gim min su"),
    ],
)
def test_the_latin_key_transliterates_folds_and_separates(text: str, key: str) -> None:
    assert names.latin(text) == key


def test_the_own_script_form_folds_case_accents_and_punctuation_but_keeps_the_script() -> None:
    assert names.fold("  MÜLLER  José ") == "muller jose"
    assert names.fold("ИВАНОВ") == names.fold("иванов") == "иванов"
    assert names.fold("李小龙") == "李小龙"
    assert names.fold("Jean-Luc O'Neil") == "jean luc oneil"


@pytest.mark.parametrize(
    ("query", "record", "kind", "rule"),
    [
        ("ivanova", "cyrillic", "transliterated", "latin words"),
        ("ahmed hassan", "arabic", "transliterated", "consonants"),
        ("li xiaolong", "chinese", "transliterated", "latin words"),
        ("li xiaolong", "chinese-split", "transliterated", "latin words"),
        ("lixiaolong", "chinese", "transliterated", "latin words"),
        ("tran van an", "vietnamese", "exact", "same words"),
        ("papadopoulos", "greek", "transliterated", "latin words"),
        ("jose goncalves", "latin", "exact", "same words"),
        ("ИВАНОВА", "cyrillic", "exact", "same words"),
        ("obrien", "irish", "exact", "same words"),
        ("o'brien sean", "irish", "exact", "same words"),
    ],
)
def test_every_script_is_found_from_plain_latin(query: str, record: str, kind: str, rule: str) -> None:
    assert found(query)[record][:2] == (kind, rule)


@pytest.mark.parametrize(
    ("query", "swapped"),
    [
        ("ivanova anna", "anna ivanova"),
        ("ahmed hassan", "hassan ahmed"),
        ("li xiaolong", "xiaolong li"),
        ("tran van an", "an van tran"),
        ("giorgos papadopoulos", "papadopoulos giorgos"),
    ],
)
def test_surname_and_given_name_swapped_still_match_the_same_way(query: str, swapped: str) -> None:
    assert found(query) == found(swapped)
    assert found(query)


def test_the_reason_names_every_field_that_matched_surname_first() -> None:
    assert found("anna ivanova")["cyrillic"] == ("transliterated", "latin words", ["last_name", "first_name"])
    assert found("ze")["latin"] == ("exact", "same words", ["aliases"])
    q = names.NameQuery.parse("ivanova")
    assert q is not None
    assert names.explain(q, RECORDS["cyrillic"])["value"] == "Иванова"  # type: ignore[index]


def test_a_part_of_a_word_is_fuzzy_and_ranked_last() -> None:
    assert found("ivan") == {"cyrillic": ("fuzzy", "part of a word", ["last_name"])}
    assert found("papadop")["greek"][:2] == ("fuzzy", "part of a word")
    assert "cyrillic" not in found("iv")  # two letters match whole words only
    assert names.RULES[names.EXACT][0] == "exact" and names.RULES[names.PARTIAL][0] == "fuzzy"
    assert names.EXACT < names.LATIN < names.CONSONANTS < names.PARTIAL


def test_the_weakest_word_decides_the_rank() -> None:
    mixed = {"last_name": "Smith", "first_name": "أحمد"}
    q = names.NameQuery.parse("smith ahmed")
    assert q is not None
    assert names.explain(q, mixed)["rule"] == "consonants"  # type: ignore[index]
    q = names.NameQuery.parse("smith hmd")
    assert q is not None
    assert names.explain(q, mixed)["rule"] == "latin words"  # type: ignore[index]


def test_consonants_are_compared_only_for_names_written_in_an_abjad() -> None:
    assert "vietnamese" not in found("ivan")  # "ivan" and "van" share consonants, but Latin writes vowels
    for spelling in ("ahmad hasan", "ahmed hussain", "AHMED HASSAN"):
        assert found(spelling)["arabic"][:2] == ("transliterated", "consonants")
    assert names.skeleton("hassan") == names.skeleton("hsn") == "hsn"
    assert names.skeleton("fatimah") == names.skeleton("ftmh") == "ptm"  # f and p: one class
    arabic, latin = set(names.keys(["محمد"]).terms), set(names.keys(["Mohammed"]).terms)
    assert {"=محمد", "mhmd", "~mhmd"} <= arabic
    assert {"=mohammed", "mohammed"} <= latin and not any(t.startswith(names.SKELETON) for t in latin)
    q = names.NameQuery.parse("Muhammad")
    assert q is not None
    up_to_consonants = q.terms(0, names.CONSONANTS)  # the word, its other spellings, its skeleton; no symbols
    assert up_to_consonants[0] == "muhammad" and up_to_consonants[-1] == "~mhmd"
    assert not any(t[0] in (names.SYMBOL, names.SOUND) for t in up_to_consonants)
    mohammed = names.NameQuery.parse("mohammed abdullah")
    assert mohammed is not None
    assert names.explain(mohammed, {"last_name": "عبد الله", "first_name": "محمد"})["rule"] == "consonants"  # type: ignore[index]


def test_names_that_do_not_match_are_not_found() -> None:
    assert found("smith") == {}
    assert "cyrillic" not in found("ivanova maria")  # every query word must match
    assert names.NameQuery.parse("  -- ") is None
    with pytest.raises(Invalid):
        names.NameQuery.parse(" ".join(f"w{i}" for i in range(names.MAX_QUERY_WORDS + 1)))


def test_keys_hold_every_run_of_words_so_cjk_syllables_and_compound_names_are_separable() -> None:
    k = names.keys({"last_name": "李小龙", "aliases": ["van der Berg"]})
    assert k.key == "li xiao long van der berg"
    assert {"li", "xiao", "long", "lixiao", "xiaolong", "lixiaolong", "vanderberg", "derberg"} <= set(k.terms)
    assert k.search == "李小龙 van der berg"
    assert len(names.words("a b c d e f")) == 6 + 5 + 4 + 3  # runs of up to four words


def test_dob_precision_comes_from_the_iso_text() -> None:
    assert [dob.precision(v) for v in ("1980", "1980-05", "1980-05-17", None)] == ["year", "month", "day", None]


@pytest.mark.parametrize(
    ("query", "stored", "kind"),
    [
        ("1980-05-17", "1980-05-17", "exact"),
        ("1980-05-17", "1980", "partial"),  # a year-only DOB matches a full date of that year
        ("1980-05-17", "1980-05", "partial"),
        ("1980", "1980-05-17", "partial"),  # and the reverse
        ("1980", "1980", "exact"),
        ("1980-05", "1980-05-17", "partial"),
        ("1980-05-17", "1981", None),
        ("1980-05-17", "1980-06", None),
        ("1980-05", "1980-06-01", None),
        ("1980", None, None),
    ],
)
def test_a_dob_matches_as_far_as_the_less_precise_date_goes(query: str, stored: str | None, kind: str | None) -> None:
    m = dob.explain(query, stored)
    assert (m["kind"] if m else None) == kind
    if m:
        assert m["precision"] == dob.precision(stored)


def test_a_dob_query_is_a_date_of_some_precision() -> None:
    assert dob.check_query(" 1980-05 ") == "1980-05"
    for bad in ("80", "1980-5", "17/05/1980", "1980-05-17T00:00"):
        with pytest.raises(Invalid):
            dob.check_query(bad)


def test_a_query_is_read_once_per_text_and_a_refused_one_is_refused_every_time() -> None:
    first = names.NameQuery.parse("Георгий Чернов")
    assert first is not None and names.NameQuery.parse("Георгий Чернов") is first
    assert names.NameQuery.parse("  ") is None and names.NameQuery.parse(None) is None
    too_long = " ".join(f"w{i}" for i in range(names.MAX_QUERY_WORDS + 1))
    for _ in range(2):
        with pytest.raises(Invalid):
            names.NameQuery.parse(too_long)
