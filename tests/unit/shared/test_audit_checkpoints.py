"""Signed audit checkpoints and the audit middleware, without I/O."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, FastAPI, Request

from shared import audit
from shared.audit_sequencer import (
    Head,
    generate_key_file,
    load_signing_key,
    public_text,
    sign,
    signature_holds,
    verify_keys,
)
from shared.logging import CORRELATION_HEADER
from shared.web import install_common

TOP = Head(42, "a" * 64)


def test_a_checkpoint_verifies_with_its_key_and_not_once_any_field_changed(tmp_path: Path) -> None:
    key = load_signing_key(str(generate_key_file(tmp_path / "k.pem")))
    assert key is not None
    cp = sign(key, service="cases", top=TOP, at=datetime(2026, 11, 26, tzinfo=UTC))
    keys = verify_keys(str(tmp_path / "k.pem"), [])
    assert signature_holds(cp, keys)
    for change in ({"size": 41}, {"head_hash": "b" * 64}, {"service": "intake"}, {"signed_at": datetime.now(UTC)}):
        assert not signature_holds(cp.model_copy(update=change), keys), change


def test_a_rotated_out_key_still_verifies_the_checkpoints_it_signed(tmp_path: Path) -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    seed = base64.b64encode(
        new.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    ).decode()
    before = sign(old, service="cases", top=TOP)
    after = sign(load_signing_key(seed), service="cases", top=Head(43, "c" * 64))  # type: ignore[arg-type]
    assert not signature_holds(before, verify_keys(seed, []))  # the old public key was not kept
    keys = verify_keys(seed, [public_text(old.public_key())])
    assert signature_holds(before, keys) and signature_holds(after, keys)
    assert before.key_id != after.key_id


def test_no_signing_key_means_no_checkpoints_rather_than_a_made_up_key() -> None:
    assert load_signing_key("") is None
    assert verify_keys("", []) == {}


def _app(sink_fails: bool) -> tuple[FastAPI, list[audit.Entry]]:
    written: list[audit.Entry] = []

    async def sink(entries: list[audit.Entry]) -> None:
        if sink_fails:
            raise OSError("the database is away")
        written.extend(entries)

    async def ready() -> dict[str, bool]:
        return {"database": True}

    app = FastAPI()
    install_common(app, readiness=ready, audit=sink)

    async def audited(request: Request) -> None:  # what `secured` records, without a token
        request.state.audit_action = "case:read"

    @app.get("/api/v1/things", dependencies=[Depends(audited)])
    async def things() -> dict[str, int]:
        return {"n": 1}

    @app.get("/api/v1/broken", dependencies=[Depends(audited)])
    async def broken() -> None:
        raise RuntimeError("a bug")

    return app, written


async def _get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get(path, headers={CORRELATION_HEADER: "cid-1"})


async def test_a_read_is_audited_before_its_answer_and_carries_the_correlation_id() -> None:
    app, written = _app(sink_fails=False)
    r = await _get(app, "/api/v1/things")
    assert r.status_code == 200 and r.headers[CORRELATION_HEADER] == "cid-1"
    assert [(e.outcome, e.correlation_id) for e in written] == [("allowed", "cid-1")]


async def test_an_answer_that_cannot_be_audited_becomes_a_503() -> None:
    app, written = _app(sink_fails=True)
    r = await _get(app, "/api/v1/things")
    assert r.status_code == 503 and r.json()["error"] == "Unavailable" and written == []


async def test_a_call_that_fails_with_an_unhandled_error_is_audited_as_failed() -> None:
    app, written = _app(sink_fails=False)
    r = await _get(app, "/api/v1/broken")
    assert r.status_code == 500
    assert [e.outcome for e in written] == ["failed"]


def test_the_archive_is_every_replicas_file_in_the_folder_with_repeats_and_other_lines_ignored(
    tmp_path: Path,
) -> None:
    from tracs.audit import archived

    key = load_signing_key(str(generate_key_file(tmp_path / "k.pem")))
    assert key is not None
    folder = tmp_path / "audit"
    folder.mkdir()
    at = datetime(2026, 11, 26, tzinfo=UTC)
    one, two = (sign(key, service="cases", top=Head(n, "a" * 64), at=at) for n in (10, 20))
    other = sign(key, service="intake", top=TOP, at=at)
    (folder / "checkpoints-gateway-a.jsonl").write_bytes(one.model_dump_json().encode() + b"\nnot json\n")
    (folder / "checkpoints-gateway-b.jsonl").write_bytes(
        b"\n".join(cp.model_dump_json().encode() for cp in (two, other, two))
    )
    (folder / "notes.txt").write_text(one.model_dump_json())  # not an archive file
    found = archived(folder / "checkpoints-gateway-a.jsonl", "cases")
    assert sorted(cp.size for cp in found) == [10, 20, 20]  # the caller merges repeats by (service, size, ...)
    assert [cp.service for cp in archived(folder / "checkpoints-gateway-b.jsonl")].count("intake") == 1
    assert archived(tmp_path / "nowhere" / "checkpoints.jsonl") == []
