"""A small OIDC provider for the end-to-end tests: a process of its own on a real socket.

Its authorization endpoint approves at once (as the one user it was started with) and sends the browser back
with a code; its token endpoint checks the code, the client (id and secret, Basic or in the body), the
redirect URI and the PKCE verifier (S256 only), then issues an RS256 access token with the claims TRACS reads
(iss, aud, exp, preferred_username, roles, programs) and an ID token carrying the nonce, both signed with the
key whose public half the stack is given as TRACS_OIDC_PUBLIC_KEY.

    python -m tests.oidc_provider --port 9100 --key key.pem --client-id tracs-console --client-secret s \
        --user '{"preferred_username": "o.adeyemi", "roles": ["analyst"], "programs": ["UK-VISA"]}'
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

CODE_TTL = 60


class Provider:
    """The provider's state: its key, its one client, its one user, the codes it has handed out."""

    def __init__(self, *, issuer: str, key: str, client_id: str, client_secret: str, audience: str, user: dict) -> None:
        self.issuer, self.key, self.audience, self.user = issuer, key, audience, user
        self.client_id, self.client_secret = client_id, client_secret
        self.codes: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def authorize(self, q: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """Approve at once; a bad request is answered on the provider's own page, as a real one does."""
        if q.get("client_id") != self.client_id or not q.get("redirect_uri"):
            return 400, {}, "unknown client or no redirect_uri"
        back = q["redirect_uri"]
        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return 302, {"Location": _with(back, error="invalid_request", state=q.get("state", ""))}, ""
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {**q, "issued": time.time()}
        return 302, {"Location": _with(back, code=code, state=q.get("state", ""))}, ""

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        client_id, secret = form.get("client_id"), form.get("client_secret", "")
        if authorization and authorization.startswith("Basic "):
            pair = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = (unquote_plus(part) for part in pair.partition(":"))
        if client_id != self.client_id or not hmac.compare_digest(secret or "", self.client_secret):
            return 401, {"error": "invalid_client"}
        with self.lock:
            grant = self.codes.pop(form.get("code", ""), None)  # a code is good once
        if form.get("grant_type") != "authorization_code" or grant is None or time.time() - grant["issued"] > CODE_TTL:
            return 400, {"error": "invalid_grant", "error_description": "unknown, used or expired code"}
        if grant["client_id"] != client_id or grant["redirect_uri"] != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant", "error_description": "the code was issued to another client"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not hmac.compare_digest(challenge, grant["code_challenge"]):
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        now = int(time.time())
        base = {"iss": self.issuer, "sub": self.user["preferred_username"], "iat": now, "exp": now + 600}
        access = jwt.encode({**base, "aud": self.audience, **self.user}, self.key, algorithm="RS256")
        id_token = jwt.encode({**base, "aud": client_id, "nonce": grant.get("nonce", "")}, self.key, algorithm="RS256")
        body = {"access_token": access, "token_type": "Bearer", "expires_in": 600, "id_token": id_token}
        return 200, {**body, "scope": grant.get("scope", "openid")}


def _with(url: str, **params: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != "/authorize":
                return self._send(404, {}, b"not found")
            status, headers, text = provider.authorize(dict(parse_qsl(parts.query)))
            return self._send(status, headers, text.encode())

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/token":
                return self._send(404, {}, b"not found")
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            status, body = provider.token(form, self.headers.get("Authorization"))
            return self._send(status, {"Content-Type": "application/json"}, json.dumps(body).encode())

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in {"Cache-Control": "no-store", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@dataclass
class RunningProvider:
    """What the stack and the tests need to know of a started provider."""

    url: str
    public_key: str
    client_id: str
    client_secret: str
    user: dict

    def gateway_env(self, name: str = "Test IdP") -> dict[str, str]:
        """The TRACS_OIDC_* settings of a stack that trusts this provider and signs in through it."""
        return {
            "TRACS_OIDC_PUBLIC_KEY": self.public_key,
            "TRACS_OIDC_ISSUER": self.url,
            "TRACS_OIDC_AUDIENCE": "tracs",
            "TRACS_OIDC_AUTHORIZATION_ENDPOINT": f"{self.url}/authorize",
            "TRACS_OIDC_TOKEN_ENDPOINT": f"{self.url}/token",
            "TRACS_OIDC_CLIENT_ID": self.client_id,
            "TRACS_OIDC_CLIENT_SECRET": self.client_secret,
            "TRACS_OIDC_PROVIDER_NAME": name,
        }


TEST_USER = {"preferred_username": "o.adeyemi", "roles": ["analyst"], "programs": ["UK-VISA"]}


@contextlib.contextmanager
def running_provider(var: Path, user: dict | None = None) -> Iterator[RunningProvider]:
    """Start the provider as a process of its own with a fresh key; stopped on exit."""
    from tracs.infra import free_port, stop_process, wait_for_port

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    var.mkdir(parents=True, exist_ok=True)
    key_file = var / "idp-key.pem"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    port, secret, user = free_port(), secrets.token_urlsafe(16), user or TEST_USER
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider", "--port", str(port), "--key", str(key_file),
         "--client-id", "tracs-console", f"--client-secret={secret}", "--user", json.dumps(user)],
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    try:
        wait_for_port(port, 15, proc)
        yield RunningProvider(f"http://127.0.0.1:{port}", public.decode(), "tracs-console", secret, user)
    finally:
        stop_process(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", type=Path, required=True, help="PEM private key (RSA) the tokens are signed with")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", default="")
    parser.add_argument("--audience", default="tracs")
    parser.add_argument("--user", type=json.loads, default=TEST_USER, help="the claims of the one user (JSON)")
    args = parser.parse_args()
    issuer = f"http://127.0.0.1:{args.port}"
    provider = Provider(
        issuer=issuer,
        key=args.key.read_text(),
        client_id=args.client_id,
        client_secret=args.client_secret,
        audience=args.audience,
        user=args.user,
    )
    ThreadingHTTPServer(("127.0.0.1", args.port), _handler(provider)).serve_forever()


if __name__ == "__main__":
    main()
