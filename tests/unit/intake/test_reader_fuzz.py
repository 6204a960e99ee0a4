"""Whatever bytes arrive under a spreadsheet name, the reader either reads them or names the problem."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.intake.reader import Limits, open_sheet
from shared.errors import DomainError
from tests import files

LIMITS = Limits(max_rows=50, max_columns=20, max_decompressed_bytes=5 * 1024 * 1024)
VALID = files.xlsx(["FIN", "Last Name"], [["1", "A"], ["2", "B"]])


def _zip_with(member: str, content: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(member, content)
    return buf.getvalue()


def _read(name: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        try:
            sheet = open_sheet(path, name, LIMITS)
            list(sheet.rows)
        except DomainError:
            pass  # refused with a named reason: fine


payloads = st.one_of(
    st.binary(max_size=2048),
    st.binary(max_size=512).map(lambda b: b"PK\x03\x04" + b),
    st.binary(max_size=512).map(lambda b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b),
    st.integers(0, len(VALID) - 1).map(lambda cut: VALID[:cut]),
    st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)).map(
        lambda t: VALID[: t[0]] + bytes([t[1]]) + VALID[t[0] + 1 :]
    ),
    st.binary(max_size=256).map(lambda b: _zip_with("xl/worksheets/sheet1.xml", b)),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(["a.xlsx", "a.xls", "a.ods", "a.csv"]), content=payloads)
def test_any_bytes_are_read_or_refused_by_name(name: str, content: bytes) -> None:
    _read(name, content)
