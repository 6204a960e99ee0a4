"""All of redress's SQL: `tables` (the tables and `metadata`) and one query module per use-case module."""

from services.redress.db.tables import metadata

__all__ = ["metadata"]
