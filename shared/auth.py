"""Signed bearer tokens: the gateway issues them, every service verifies them again."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt

# People: logins and the IdP grant these only. The privacy officer approves agreement versions (PIA 8.4).
ROLES = frozenset({"analyst", "supervisor", "auditor", "admin", "privacy-officer"})
# A service calling another's internal API: held only by tokens `issue_service_token` mints (never by a login,
# never taken from an identity provider's claims), and only with the claim naming the calling service.
SERVICE_ROLE = "service"
SERVICE_CLAIM = "svc"
SERVICE_PREFIX = "service:"
PROGRAMS = frozenset({"UK-VISA", "M5", "PCSC", "KST", "REDRESS", "REPORTING"})


class InvalidToken(Exception):
    """Missing, malformed, expired or forged token."""


@dataclass(frozen=True)
class Principal:
    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    programs: frozenset[str] = field(default_factory=frozenset)
    service: str | None = None  # the calling service, for a service identity

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def issue_token(
    principal: Principal,
    *,
    secret: str,
    issuer: str,
    ttl_seconds: int,
    now: float | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """A person's token; `extra` adds informational claims (the gateway's `trn`: the day training lapses)."""
    issued = int(now if now is not None else time.time())
    claims = {
        **(extra or {}),
        "sub": principal.username,
        "roles": sorted(principal.roles),
        "programs": sorted(principal.programs),
        "iss": issuer,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def issue_service_token(
    service: str, *, secret: str, issuer: str, ttl_seconds: int = 300, now: float | None = None
) -> str:
    """A short-lived identity for one service calling another's internal API: `sub` "service:<name>", the
    `service` role only, no programs, and the calling service named in its own claim."""
    if not service or not service.replace("-", "").isalnum():
        raise ValueError(f"not a service name: {service!r}")
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": f"{SERVICE_PREFIX}{service}",
        "roles": [SERVICE_ROLE],
        "programs": [],
        SERVICE_CLAIM: service,
        "iss": issuer,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_token(token: str, *, secret: str, issuer: str, previous_secret: str | None = None) -> Principal:
    """Verify with the current key; during a rotation, a token whose signature only the previous key
    matches is still good until it expires (any other failure of the current key's check stands)."""
    try:
        claims = _decode(token, secret, issuer)
    except jwt.InvalidSignatureError as exc:
        if not previous_secret:
            raise InvalidToken(str(exc)) from exc
        try:
            claims = _decode(token, previous_secret, issuer)
        except jwt.PyJWTError as exc2:
            raise InvalidToken(str(exc2)) from exc2
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    roles = frozenset(claims.get("roles", ()))
    service = claims.get(SERVICE_CLAIM)
    if SERVICE_ROLE in roles or service is not None or str(claims["sub"]).startswith(SERVICE_PREFIX):
        # All three or none: a person's token never carries the service role, a service's carries nothing else.
        if not isinstance(service, str) or claims["sub"] != f"{SERVICE_PREFIX}{service}" or roles != {SERVICE_ROLE}:
            raise InvalidToken("a service token names its service in sub and svc, with the service role only")
        return Principal(username=str(claims["sub"]), roles=roles, service=service)
    return Principal(
        username=str(claims["sub"]),
        roles=roles,
        programs=frozenset(claims.get("programs", ())),
    )


def _decode(token: str, secret: str, issuer: str) -> dict:
    return jwt.decode(token, secret, algorithms=["HS256"], issuer=issuer, options={"require": ["exp", "sub", "iss"]})


@dataclass(frozen=True)
class OidcConfig:
    """An external identity provider for deployment: its signing key comes from configuration (PEM)."""

    public_key: str
    issuer: str
    audience: str
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    username_claim: str = "preferred_username"
    roles_claim: str = "roles"
    programs_claim: str = "programs"


def decode_idp_jwt(token: str, config: OidcConfig, *, audience: str, require: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JWT the identity provider signed: its key, issuer, the audience given and expiry checked."""
    try:
        return jwt.decode(
            token,
            config.public_key,
            algorithms=list(config.algorithms),
            issuer=config.issuer,
            audience=audience,
            options={"require": ["exp", "iss", "aud", *require]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc


def verify_oidc_token(token: str, config: OidcConfig) -> Principal:
    """An IdP's access token: signature by the configured key, issuer, audience and expiry all checked.

    Roles and programs the policy does not know are dropped rather than trusted.
    """
    claims = decode_idp_jwt(token, config, audience=config.audience)
    username = claims.get(config.username_claim) or claims.get("sub")
    if not username:
        raise InvalidToken(f"the token names no user ({config.username_claim} or sub)")
    return Principal(
        username=str(username),
        roles=frozenset(claims.get(config.roles_claim, ())) & ROLES,
        programs=frozenset(claims.get(config.programs_claim, ())) & PROGRAMS,
    )


# Tokens already verified, until they expire: a client sends the same token with every request, and a
# signature check costs about 0.4 ms, twice per call (gateway and service). Keyed by the verifying
# configuration too, so a changed secret or provider key verifies afresh.
_VERIFIED: dict[tuple, tuple[Principal, float]] = {}
_VERIFIED_MAX = 10_000


def verify_any(
    token: str,
    *,
    secret: str,
    issuer: str,
    oidc: OidcConfig | None,
    local: bool = True,
    previous_secret: str | None = None,
) -> Principal:
    """The gateway's own HS256 logins (development, or alongside an IdP) and the IdP's tokens."""
    key = (token, secret, issuer, oidc, local, previous_secret)
    hit = _VERIFIED.get(key)
    if hit is not None and hit[1] > time.time():
        return hit[0]
    principal = _verify_any(
        token, secret=secret, issuer=issuer, oidc=oidc, local=local, previous_secret=previous_secret
    )
    expires = jwt.decode(token, options={"verify_signature": False}).get("exp")
    if isinstance(expires, int | float):
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[key] = (principal, float(expires))
    return principal


def _verify_any(
    token: str, *, secret: str, issuer: str, oidc: OidcConfig | None, local: bool, previous_secret: str | None
) -> Principal:
    try:
        algorithm = jwt.get_unverified_header(token).get("alg")
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if algorithm == "HS256":
        principal = verify_token(token, secret=secret, issuer=issuer, previous_secret=previous_secret)
        if not local and principal.service is None:  # services still sign their own calls with the shared secret
            raise InvalidToken("local logins are switched off; use the identity provider")
        return principal
    if oidc is not None and algorithm in oidc.algorithms:
        return verify_oidc_token(token, oidc)
    raise InvalidToken(f"tokens signed with {algorithm!r} are not accepted here")
