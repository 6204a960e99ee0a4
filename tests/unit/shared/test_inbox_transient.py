"""Which failures the inbox retries (the batch rewinds) and which it blames on the event (the DLQ)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from shared.inbox import is_transient


class _DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _db_error(sqlstate: str) -> DBAPIError:
    return DBAPIError("INSERT", None, _DriverError(sqlstate))


def test_crossed_transactions_are_retried_not_dead_lettered() -> None:
    assert is_transient(_db_error("40P01"))  # deadlock: chunks of one batch on two cases instances
    assert is_transient(_db_error("40001"))  # serialization failure
    assert not is_transient(_db_error("22P05"))  # a value the database cannot store: the row's fault
    assert not is_transient(_db_error("23505"))
    assert is_transient(ConnectionError("broker or database gone"))
