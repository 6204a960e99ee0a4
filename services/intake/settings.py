"""Intake settings (`TRACS_INTAKE_*` beats `TRACS_*`)."""

import re
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from services.intake.cells import marker_set
from services.intake.reader import Limits
from services.intake.rows import FIN_PATTERN, ReadingRules
from shared.settings import ServiceSettings

DateOrder = Literal["MDY", "DMY"]


class Settings(ServiceSettings):
    service_name: ClassVar[str] = "intake"
    default_port: ClassVar[int] = 8101

    max_upload_bytes: int = Field(50 * 1024 * 1024, ge=1024)
    max_rows: int = Field(200_000, ge=1)
    max_columns: int = Field(200, ge=1)
    # A workbook is read whole (calamine): ~2 MiB of intake's memory per MiB of unpacked sheet XML, on ~120 MiB at
    # rest. 160 MiB keeps intake under its 500 MiB (and the manifests' 512Mi) for any workbook it accepts, and takes
    # 100,000 rows x 25 columns (~115 MiB unpacked); bigger ones are refused before they are read: split them.
    max_decompressed_bytes: int = Field(160 * 1024 * 1024, ge=1024)
    preview_rows: int = Field(20, ge=0, le=1000)
    # Header aliases per program: TRACS_INTAKE_PROGRAM_ALIASES='{"UK-VISA": {"GWF Ref": "partner_unique_id"}}'
    # (setting it replaces these defaults: the UK Home Office's own reference column).
    program_aliases: dict[str, dict[str, str]] = Field(
        default_factory=lambda: {"UK-VISA": {"GWF Reference": "partner_unique_id"}}
    )
    # Unknown markers a program adds to unknown_markers.csv: TRACS_INTAKE_PROGRAM_UNKNOWN_MARKERS='{"UK-VISA": ["NK"]}'
    program_unknown_markers: dict[str, list[str]] = Field(default_factory=dict)
    # Day/month order of an ambiguous date (05/06/1980) when the file itself does not show it;
    # per program: TRACS_INTAKE_PROGRAM_DATE_ORDER='{"UK-VISA": "DMY"}'
    # IDENT's exports are American (M/D/Y); the UK Home Office writes the day first. A file's own dates decide
    # first (25.12.1969 can only be day-first), so a partner extract in its own style is read right anyway.
    date_order: DateOrder = "MDY"
    program_date_order: dict[str, DateOrder] = Field(default_factory=lambda: {"UK-VISA": "DMY"})
    # What a FIN may look like (a full match); '[0-9]+' where every FIN comes from IDENT as digits.
    fin_pattern: str = FIN_PATTERN
    # Bulk path v2: how often the dispatcher looks for confirmed batches with rows still to send.
    dispatch_poll_interval: float = Field(0.2, gt=0)
    # Staged rows (every cell of the file) stay this long after their batch is decided, then only cases
    # holds the imported rows; the batch record (counts, mapping, decisions, failed rows) stays.
    staging_retention_days: int = Field(30, ge=0)
    staging_purge_interval_seconds: int = Field(3600, ge=0)  # 0: never by itself

    @field_validator("fin_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        re.compile(value)
        return value

    def reader_limits(self) -> Limits:
        return Limits(
            max_rows=self.max_rows, max_columns=self.max_columns, max_decompressed_bytes=self.max_decompressed_bytes
        )

    def reading_rules(self, program: str) -> ReadingRules:
        return ReadingRules(
            markers=marker_set(self.program_unknown_markers.get(program, ())),
            date_order=self.program_date_order.get(program, self.date_order),
            fin_pattern=self.fin_pattern,
        )
