"""All of reporting's SQL: `tables` (the tables and `metadata`) and one query module per use-case module."""

from services.reporting.db.tables import metadata

__all__ = ["metadata"]
