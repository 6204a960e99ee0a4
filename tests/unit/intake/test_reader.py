"""Reading .xlsx/.xls/.ods/.csv into cell text, and refusing hostile or broken files by name."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from services.intake.reader import Limits, open_sheet
from services.intake.settings import Settings
from shared.errors import Invalid, TooLarge, Unsupported
from tests import files

LIMITS = Limits(max_rows=100, max_columns=10, max_decompressed_bytes=10 * 1024 * 1024)


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _read(tmp_path: Path, name: str, content: bytes, limits: Limits = LIMITS) -> tuple[list[str], list]:
    sheet = open_sheet(_write(tmp_path, name, content), name, limits)
    return sheet.headers, list(sheet.rows)


def test_xlsx_cells_become_text_as_an_analyst_sees_them(tmp_path: Path) -> None:
    content = files.xlsx(
        ["FIN", "Name", "DOB", "Encounter", "Count"],
        [
            ["0001234", "Ngô Bảo Châu", date(1980, 5, 17), datetime(2019, 3, 4, 13, 45), 201],
            [None, None, None, None, None],
            ["000999", "Ὀδυσσεύς", "1975", datetime(2020, 1, 2), 2.5],
        ],
        blank_rows_before_header=2,
    )
    headers, rows = _read(tmp_path, "m.xlsx", content)
    assert headers == ["FIN", "Name", "DOB", "Encounter", "Count"]
    assert rows == [
        (4, ["0001234", "Ngô Bảo Châu", "1980-05-17", "2019-03-04T13:45:00", "201"]),
        (6, ["000999", "Ὀδυσσεύς", "1975", "2020-01-02", "2.5"]),  # blank row 5 skipped, numbering kept
    ]


def test_formulas_are_reported_and_their_cached_values_used(tmp_path: Path) -> None:
    content = files.xlsx(
        ["FIN", "Last Name", "N"], [["1", "A", 1], ["2", "B", 2]], formulas={(0, 2): ("=1+1", 2), (1, 2): ("=A3*2", 4)}
    )
    sheet = open_sheet(_write(tmp_path, "f.xlsx", content), "f.xlsx", LIMITS)
    assert [cells[2] for _, cells in sheet.rows] == ["2", "4"]
    assert sheet.formula_count == 2 and sheet.formula_cells == ["C2", "C3"]


def test_xls_and_ods_are_read_too(tmp_path: Path) -> None:
    header, rows = ["FIN", "Last Name"], [["007", "Đặng"]]
    assert _read(tmp_path, "a.xls", files.xls(header, rows)) == (header, [(2, ["007", "Đặng"])])
    assert _read(tmp_path, "a.ods", files.ods(header, rows)) == (header, [(2, ["007", "Đặng"])])


def test_csv_keeps_text_verbatim(tmp_path: Path) -> None:
    headers, rows = _read(tmp_path, "a.csv", "\ufeffFIN,Last Name\n007, Ølsen \n\n008,李\n".encode())
    assert headers == ["FIN", "Last Name"] and rows == [(2, ["007", " Ølsen "]), (4, ["008", "李"])]


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        ("a.pdf", b"%PDF-1.4", Unsupported, "not a supported spreadsheet"),
        ("a.xlsx", b"just some text pretending", Unsupported, "does not match its extension"),
        ("a.xls", b"PK\x03\x04 not ole", Unsupported, "does not match its extension"),
        ("a.csv", b"PK\x03\x04\x00\x00", Unsupported, "binary"),
        ("a.csv", b"FIN,Name\n\xff\xfe\xfa,x\n", Invalid, "not UTF-8"),
        ("a.csv", b"", Invalid, "empty"),
        ("a.xlsx", files.encrypted_xlsx(["FIN"], [["1"]]), Invalid, "password protected"),
        ("a.xlsx", files.zip_bomb_xlsx(), TooLarge, "zip bomb"),
        ("a.xlsx", files.xlsx([""], []), Invalid, "empty"),
    ],
    ids=[
        "pdf",
        "text-as-xlsx",
        "zip-as-xls",
        "binary-csv",
        "latin1-csv",
        "empty-csv",
        "password",
        "zip-bomb",
        "empty-xlsx",
    ],
)
def test_hostile_or_broken_files_are_refused_by_name(
    tmp_path: Path, name: str, content: bytes, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        _read(tmp_path, name, content)


def test_total_decompressed_size_is_limited(tmp_path: Path) -> None:
    small = Limits(max_rows=10, max_columns=10, max_decompressed_bytes=2048)
    with pytest.raises(TooLarge, match=r"decompresses to \d+\.\d KiB, over the limit of 2\.0 KiB .*split it"):
        _read(tmp_path, "a.xlsx", files.xlsx(["FIN"], [["1"]]), small)


def test_the_default_limits_take_the_benchmarks_workbook_and_keep_intake_under_500_mib() -> None:
    """100,000 rows x 25 columns unpack to ~115 MiB (benchmarks/import_bench.py); intake reads a workbook whole at
    ~2 MiB a MiB on ~120 MiB at rest (docs/performance.md, session 12)."""
    limit = Settings().max_decompressed_bytes / 2**20
    assert 115 < limit and 120 + 2 * limit < 500


def test_row_and_column_limits(tmp_path: Path) -> None:
    tight = Limits(max_rows=2, max_columns=3, max_decompressed_bytes=10 * 1024 * 1024)
    with pytest.raises(TooLarge, match="3 data rows exceed the limit of 2"):
        _read(tmp_path, "r.xlsx", files.xlsx(["FIN"], [["1"], ["2"], ["3"]]), tight)
    with pytest.raises(TooLarge, match="4 columns exceed the limit of 3"):
        _read(tmp_path, "c.xlsx", files.xlsx(["A", "B", "C", "D"], [["1", "2", "3", "4"]]), tight)
    with pytest.raises(TooLarge, match="more than 2 data rows"):
        _read(tmp_path, "r.csv", b"FIN\n1\n2\n3\n", tight)
    with pytest.raises(TooLarge, match="4 columns"):
        _read(tmp_path, "c.csv", b"A,B,C,D\n1,2,3,4\n", tight)


def test_an_unknown_zip_compression_method_is_named(tmp_path: Path) -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    raw = bytearray(buf.getvalue())
    raw[8] = 99  # local header's compression method
    raw[raw.find(b"PK\x01\x02") + 10] = 99  # central directory's
    with pytest.raises(Invalid, match="compression method spreadsheets do not use"):
        _read(tmp_path, "odd.xlsx", bytes(raw))
