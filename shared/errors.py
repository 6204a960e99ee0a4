"""Domain errors every service raises; the web layer maps each to one status code in one place."""

import math


class DomainError(Exception):
    """A rule of the domain refused the request; the message names the problem for the caller."""

    status_code = 400

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    """Unknown, or not visible to the caller (never reveal which)."""

    status_code = 404


class Conflict(DomainError):
    """The request breaks a rule given the record's current state."""

    status_code = 409


class Invalid(DomainError):
    """The request's content is wrong (types, formats, limits)."""

    status_code = 422


class TooLarge(DomainError):
    status_code = 413


class Unsupported(DomainError):
    status_code = 415


class Unauthorized(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class Unavailable(DomainError):
    """Something the request needs (a mail relay, another service) cannot be reached now; try again."""

    status_code = 503


def in_units(size: int) -> str:
    """A byte count as a refusal names it: in the largest binary unit it reaches, exact below a KiB, so a limit
    reads "50.0 MiB" rather than 52428800 bytes (and a small one is not rounded to "0.0 MiB")."""
    if size < 1024:
        return f"{size} bytes"
    units = ("KiB", "MiB", "GiB")
    power = min(len(units), int(math.log(size, 1024)))
    return f"{size / 1024**power:.1f} {units[power - 1]}"
