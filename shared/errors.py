"""Domain errors every service raises; the web layer maps each to one status code in one place."""


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
