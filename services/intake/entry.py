"""Manual entry: one record typed by an analyst (the PIA's manual entry of partner data) becomes a batch of
one, read by the same RowReader as a file row, staged and confirmed, so it meets the same validation, flags
and case rules as any import."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from pathlib import Path
from typing import Any

from services.intake import batches, domain, reader, rows
from shared.errors import Invalid
from shared.uow import UnitOfWork

ENTRY_FILE_NAME = "manual-entry.csv"


def entry_csv(values: dict[str, str]) -> bytes:
    """The record as a one-row CSV whose headers are TRACS field names (the catalogue maps them to themselves).

    An unknown field name is refused by name: nothing typed may be dropped silently."""
    known = {spec.name for spec in domain.catalogue()}
    unknown = sorted(set(values) - known)
    if unknown:
        raise Invalid(f"unknown fields: {', '.join(unknown)}", fields=unknown)
    filled = {k: v for k, v in values.items() if str(v).strip()}
    if not filled:
        raise Invalid("the record is empty: type at least a FIN or a partner unique ID")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(filled))
    writer.writerow([str(v) for v in filled.values()])
    return out.getvalue().encode("utf-8")


def check_record(content: bytes, *, rules: rows.ReadingRules, partner_country: str | None) -> None:
    """Read the record as intake reads a file row; any problem refuses it before anything is stored, each
    problem naming its field (`problems`: field and reason)."""
    text = content.decode("utf-8").splitlines()
    headers, cells = next(csv.reader([text[0]])), next(csv.reader([text[1]]))
    row = rows.RowReader(
        domain.map_columns(headers), rules=rules, partner_country=domain.batch_partner(partner_country)
    ).read(2, cells)
    if row.problems:
        problems = [{"field": p.column, "reason": p.reason} for p in row.problems]
        raise Invalid("; ".join(p.reason for p in row.problems), problems=problems)


async def enter_record(
    *,
    uow: UnitOfWork,
    confirm_uow: UnitOfWork,
    values: dict[str, str],
    program: str,
    kind: str,
    partner_country: str | None,
    rules: rows.ReadingRules,
    limits: reader.Limits,
    spool_dir: str,
) -> uuid.UUID:
    """Validate, stage and confirm one typed record; a refused record leaves nothing behind."""
    domain.check_program(program, kind)
    content = entry_csv(values)
    check_record(content, rules=rules, partner_country=partner_country)
    path = Path(spool_dir) / ENTRY_FILE_NAME
    path.write_bytes(content)
    upload = batches.Upload(
        path=path, file_name=ENTRY_FILE_NAME, sha256=hashlib.sha256(content).hexdigest(), size=len(content)
    )
    batch_id = await batches.upload_batch_once(
        uow=uow,
        upload=upload,
        program=program,
        kind=kind,
        limits=limits,
        rules=rules,
        partner_country=partner_country,
    )
    await batches.confirm_batch(uow=confirm_uow, batch_id=batch_id, block_on_invalid=True)
    return batch_id


def typed(values: dict[str, Any]) -> dict[str, str]:
    """Form or JSON values as text, as a file's cells would be."""
    return {k: "" if v is None else str(v) for k, v in values.items()}
