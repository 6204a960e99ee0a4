"""Signed bearer tokens: the gateway issues them, every service verifies them again."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import jwt

ROLES = frozenset({"analyst", "supervisor", "auditor", "admin"})
PROGRAMS = frozenset({"UK-VISA", "M5", "PCSC", "KST", "REDRESS", "REPORTING"})


class InvalidToken(Exception):
    """Missing, malformed, expired or forged token."""


@dataclass(frozen=True)
class Principal:
    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    programs: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def issue_token(principal: Principal, *, secret: str, issuer: str, ttl_seconds: int, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": principal.username,
        "roles": sorted(principal.roles),
        "programs": sorted(principal.programs),
        "iss": issuer,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_token(token: str, *, secret: str, issuer: str) -> Principal:
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], issuer=issuer, options={"require": ["exp", "sub", "iss"]}
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    return Principal(
        username=str(claims["sub"]),
        roles=frozenset(claims.get("roles", ())),
        programs=frozenset(claims.get("programs", ())),
    )
