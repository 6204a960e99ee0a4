"""Writes the example files of docs/walkthrough.md: `python examples/generate.py [FOLDER]`.

The files are what partners and IDENT exports really look like: names in their own scripts, dates of
birth that are partial, unknown or written the local way, a row that identifies no one, a repeated row,
a no-match row, a formula cell, special-protected-class and watchlist encounters. Every person, number
and agency desk in them is invented. The output is byte-for-byte stable, so the committed copies can be
checked against this script (tests/unit/test_examples.py).
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).parent
FIXED_TIME = datetime(2026, 11, 2, 9, 30)  # workbook metadata, so the bytes do not change run to run

Cell = str | date | None

# An IDENT export of the matches to one Australian (M5) query batch: the partner is named at upload.
M5_QUERY_HEADER = [
    "FIN",
    "EID",
    "Surname",
    "Given Names",
    "DOB",
    "Sex",
    "Nationality",
    "Country of Birth",
    "Passport No",
    "Encounter Date",
    "Reason Fingerprinted",
    "Location Fingerprinted",
    "O/U/S",
    "Data Owner",
    "SPC",
    "Fast Matcher",
    "DI",
    "DI Description",
    "DI Shared",
    "Result",
    "Partner Reference",
    "TCN",
    "Search Code",
    "Remarks",
]
# fmt: off
_IVANOVA = ["40512337", None, "Иванова", "Анна", date(1987, 2, 3), "F", "RUS", "RUS", "753120044"]
M5_QUERY_ROWS: list[list[Cell]] = [
    [*_IVANOVA, date(2019, 6, 14), "VISITOR ENTRY", "JFK", "CBP/OFO/JFK", "CBP", None, None, None, None, None,
     "MATCH", "AU-HVP-2026-0419", "AUS-TX-88121", "HVP", None],
    [*_IVANOVA, date(2021, 9, 2), "VISITOR ENTRY", "LAX", "CBP/OFO/LAX", "CBP", None, None, "IMMIGRATION",
     "Overstayed a B-2 admission by 41 days", "Y", "MATCH", "AU-HVP-2026-0419", "AUS-TX-88121", "HVP", None],
    ["40512337", None, "IVANOVA", "ANNA", date(1987, 2, 3), "F", "RUS", "RUS", None, date(2022, 1, 20),
     "BENEFIT APPLICATION", "USCIS ASC NEW YORK", "USCIS/ASC/NYC", "USCIS", "T", None, None, None, None,
     "MATCH", "AU-HVP-2026-0419", "AUS-TX-88121", "HVP", None],
    ["40512337", None, "Ivanova", "Anna", "1987", "F", "RUS", "unknown", None, date(2023, 3, 11),
     "WATCHLIST", "TSC", "FBI/TSC", "FBI-TSC", None, "KST", None, None, None,
     "MATCH", "AU-HVP-2026-0419", "AUS-TX-88121", "HVP", None],
    ["55019028", None, "حسن", "أحمد", "UNK", "M", "EGY", "EGY", "A09912233", date(2018, 11, 5),
     "VISA APPLICATION", "CAIRO", "DOS/CA/CAI", "DOS", None, None, None, None, None,
     "MATCH", "AU-HVP-2026-0420", "AUS-TX-88122", "HVP", None],
    ["61200455", None, "李", "小龙", "1975", "M", "CHN", "CHN", "E12345678", date(2017, 4, 22),
     "VISITOR ENTRY", "SFO", "CBP/OFO/SFO", "CBP", None, None, None, None, None,
     "MATCH", "AU-HVP-2026-0421", "AUS-TX-88123", "HVP", None],
    ["61877302", None, "Trần", "Văn An", "03/1982", "M", "VNM", "VNM", "C7765123", date(2020, 8, 30),
     "ASYLUM APPLICATION", "HOUSTON", "USCIS/ASY/HOU", "USCIS", "ASYLEE", None, None, None, None,
     "MATCH", "AU-HVP-2026-0422", "AUS-TX-88124", "HVP", None],
    ["70114009", None, "Παπαδόπουλος", "Γιώργος", "12/25/1969", "M", "GRC", "GRC", "AE1234567",
     date(2016, 7, 1), "VISITOR ENTRY", "BOS", "CBP/OFO/BOS", "CBP", None, None, None, None, None,
     "MATCH", "AU-HVP-2026-0423", "AUS-TX-88125", "HVP", None],
    ["73330118", None, "Gonçalves", "João", "N/A", "M", "PRT", "PRT", "P0099321", date(2024, 2, 14),
     "VISITOR ENTRY", "EWR", "CBP/OFO/EWR", "CBP", None, None, None, None, None,
     "NO MATCH", "AU-HVP-2026-0424", "AUS-TX-88126", "HVP", None],
    [None, None, "Smith", "John", date(1980, 1, 1), "M", "AUS", "AUS", None, date(2015, 5, 5),
     "VISITOR ENTRY", "SEA", "CBP/OFO/SEA", "CBP", None, None, None, None, None,
     "MATCH", None, "AUS-TX-88127", "HVP", "partner reference lost in transfer"],
    ["61200455", None, "李", "小龙", "1975", "M", "CHN", "CHN", "E12345678", date(2017, 4, 22),
     "VISITOR ENTRY", "SFO", "CBP/OFO/SFO", "CBP", None, None, None, None, None,
     "MATCH", "AU-HVP-2026-0421", "AUS-TX-88123", "HVP", None],
    ["80001234", None, "O'Brien", "Siobhán", "00/00/1990", "F", "IRL", "IRL", "PB1200456", date(2019, 12, 1),
     "VISITOR ENTRY", "BOS", "CBP/OFO/BOS", "CBP", None, None, None, None, None,
     "MATCH", "AU-HVP-2026-0425", "AUS-TX-88128", "HVP", None],
]
# IDENT gives every encounter its own EID; the row without a FIN lost its EID as well.
for _i, _row in enumerate(M5_QUERY_ROWS):
    _row[1] = f"EID-{7741001 + _i}" if _row[0] else None
M5_QUERY_ROWS[10] = list(M5_QUERY_ROWS[5])  # sent twice, cell for cell
# fmt: on

# The "Remarks" cell of the last row is a formula; its cached value is what an analyst saw in Excel.
M5_QUERY_FORMULAS = {(len(M5_QUERY_ROWS) - 1, 23): ('="Query "&U13', "Query AU-HVP-2026-0425")}

# fmt: off
# Greece's follow-up under PCSC: its own identifiers for people IDENT matched, in Greek and Latin.
PCSC_EXTRACT_HEADER = ["Partner ID", "Transaction Number", "FIN", "Surname", "Given Name", "Date of Birth",
                       "Nationality", "Search Code", "Data Owner", "OUS", "Comments"]
PCSC_EXTRACT_ROWS: list[list[Cell]] = [
    ["GR-PCSC-2026-1101", "GR-TX-5501", "70114009", "Παπαδόπουλος", "Γεώργιος", "25.12.1969", "GRC", "PCSC-SC",
     "CBP", "CBP/OFO/BOS", "follow-up on query of 2026-10-30"],
    ["GR-PCSC-2026-1102", "GR-TX-5502", "90233170", "Καραγιάννης", "Νίκος", "04.04.1971", "GRC", "PCSC-SC",
     "ICE", "ICE/ERO/NYC", None],
    ["GR-PCSC-2026-1103", "GR-TX-5503", "90233171", "Karagianni", "Eleni", "XX/XX/XXXX", "GRC", "PCSC-SC",
     "CBP", "CBP/OFO/MIA", "date of birth not on file"],
]

# The UK Home Office's visa-services matches, as CSV with its own column names and day-first dates.
UK_VISA_HEADER = ["GWF Reference", "FIN", "Surname", "Forename", "Date of Birth", "Nationality", "Data Owner",
                  "OUS", "Encounter Date", "Match"]
UK_VISA_ROWS: list[list[str]] = [
    ["GWF061234567", "83310045", "Okonkwo", "Adaeze", "17/05/1990", "NGA", "DOS", "DOS/CA/LOS", "2023-01-09",
     "HIT"],
    ["GWF061234568", "83310046", "Mensah", "Kwame", "03/11/1984", "GHA", "CBP", "CBP/OFO/ATL", "2022-06-30",
     "HIT"],
    ["GWF061234569", "83310047", "Ferreira", "Ana", "unknown", "BRA", "CBP", "CBP/OFO/MIA", "2021-03-15", "HIT"],
    ["GWF061234570", "83310048", "Haddad", "Youssef", "1979", "LBN", "USCIS", "USCIS/ASC/DET", "2020-10-10",
     "NO HIT"],
]

# fmt: on


def _xlsx(header: list[str], rows: list[list[Cell]], formulas: dict | None = None, sheet: str = "Matches") -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"created": FIXED_TIME, "author": "IDENT export"})
    ws = wb.add_worksheet(sheet)
    bold = wb.add_format({"bold": True})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, header, bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, date):
                ws.write_datetime(r, c, datetime(value.year, value.month, value.day), day)
            elif value is not None:
                ws.write_string(r, c, value)
    for (r, c), (formula, cached) in (formulas or {}).items():
        ws.write_formula(r + 1, c, formula, None, cached)
    ws.freeze_panes(1, 0)
    wb.close()
    return buf.getvalue()


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def files() -> dict[str, bytes]:
    """File name -> content of every example."""
    return {
        "m5-partner-query.xlsx": _xlsx(M5_QUERY_HEADER, M5_QUERY_ROWS, M5_QUERY_FORMULAS),
        "pcsc-greece-extract.xlsx": _xlsx(PCSC_EXTRACT_HEADER, PCSC_EXTRACT_ROWS, sheet="Extract"),
        "uk-visa-matches.csv": _csv(UK_VISA_HEADER, UK_VISA_ROWS),
    }


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files().items():
        (folder / name).write_bytes(content)
        print(f"wrote {folder / name} ({len(content):,} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
