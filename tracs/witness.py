"""The witness: a process of its own, with its own key and its own storage (files, never a service's
database), that cosigns a log's checkpoint only if it extends the last one it cosigned for that log
(C2SP tlog-witness: `POST /add-checkpoint`; cosignatures in the tlog-cosignature v1 format).

So the operator holding a log key cannot show one history to an auditor and another to a court: the witness
would have to cosign two checkpoints that are not consistent, which it refuses. Its state per log (size,
root, the cosigned note) is written to a file and renamed into place before a cosignature leaves, so a
kill -9 at any moment never lets it forget what it cosigned.

    python -m tracs.witness --dir var/witness --key var/witness/key.pem --port 8190 --log VKEY [--log VKEY ...]
    python -m tracs.witness --key KEY.pem --print-key    (the verifier key services and auditors trust)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import os
import time
from pathlib import Path

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from shared import merkle
from shared.audit_sequencer import generate_key_file, load_signing_key
from shared.signed_note import COSIGNATURE_V1, Checkpoint, Note, NoteError, Signer, Verifier


class Refused(Exception):
    def __init__(self, status: int, message: str, body: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.body = status, message, body


class WitnessState:
    """The last checkpoint cosigned per log, one file each, replaced atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, origin: str) -> Path:
        return self.root / f"{hashlib.sha256(origin.encode()).hexdigest()[:32]}.json"

    def get(self, origin: str) -> dict | None:
        path = self._path(origin)
        return orjson.loads(path.read_bytes()) if path.exists() else None

    def put(self, origin: str, state: dict) -> None:
        path = self._path(origin)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            f.write(orjson.dumps(state))
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)  # the rename itself survives a crash
        finally:
            os.close(fd)


class Witness:
    def __init__(self, signer: Signer, logs: list[Verifier], state: WitnessState) -> None:
        self.signer = signer
        self.logs = {v.name: [w for w in logs if w.name == v.name] for v in logs}
        self.state = state
        self.lock = asyncio.Lock()

    async def add_checkpoint(self, body: str) -> str:
        """Cosign a checkpoint that extends the last one cosigned for its log; the tlog-witness request body is
        `old SIZE`, the consistency proof (base64 lines), a blank line, then the signed checkpoint."""
        head, sep, note_text = body.partition("\n\n")
        lines = head.split("\n")
        if not sep or not lines[0].startswith("old "):
            raise Refused(400, "the request is `old SIZE`, the proof lines, a blank line and the checkpoint")
        try:
            old = int(lines[0][4:])
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
            note = Note.parse(note_text)
            cp = Checkpoint.parse(note.text)
        except (ValueError, NoteError) as exc:
            raise Refused(400, f"the request cannot be read: {exc}") from exc
        keys = self.logs.get(cp.origin)
        if not keys:
            raise Refused(404, f"this witness does not know the log {cp.origin}")
        if not any(note.signed_by(k) for k in keys):
            raise Refused(403, f"the checkpoint is not signed by the key of {cp.origin}")
        async with self.lock:
            last = self.state.get(cp.origin) or {"size": 0, "root": base64.b64encode(merkle.EMPTY_ROOT).decode()}
            if old != last["size"]:
                raise Refused(
                    409, f"this witness last cosigned {last['size']} entries of {cp.origin}", f"{last['size']}\n"
                )
            last_root = base64.b64decode(last["root"])
            if cp.size == old and cp.root != last_root:
                raise Refused(409, f"split view: another checkpoint of {cp.size} entries was cosigned", f"{old}\n")
            if cp.size < old:
                raise Refused(400, f"the checkpoint has {cp.size} entries, fewer than the {old} already cosigned")
            try:
                merkle.verify_consistency(old, cp.size, last_root, cp.root, proof)
            except merkle.ProofError as exc:
                raise Refused(422, f"the checkpoint does not extend the one cosigned: {exc}") from exc
            signature = self.signer.cosign(note.text, int(time.time()))
            cosigned = note.with_signature(signature).render()
            self.state.put(cp.origin, {"size": cp.size, "root": base64.b64encode(cp.root).decode(), "note": cosigned})
        return signature.line()

    def latest(self, origin: str) -> str | None:
        state = self.state.get(origin)
        return state["note"] if state and state.get("note") else None


def create_app(witness: Witness) -> FastAPI:
    app = FastAPI(title="tracs-witness", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        try:
            line = await witness.add_checkpoint((await request.body()).decode())
        except Refused as exc:
            if exc.body is not None:
                return PlainTextResponse(exc.body, status_code=exc.status, media_type="text/x.tlog.size")
            return PlainTextResponse(exc.message + "\n", status_code=exc.status)
        except UnicodeDecodeError:
            return PlainTextResponse("the request is not UTF-8\n", status_code=400)
        return PlainTextResponse(line)

    @app.get("/checkpoint")
    async def latest(origin: str) -> Response:
        """The last checkpoint of `origin` this witness cosigned (log signature and cosignature)."""
        note = witness.latest(origin)
        if note is None:
            return PlainTextResponse(f"nothing cosigned for {origin}\n", status_code=404)
        return PlainTextResponse(note)

    @app.get("/healthz")
    async def healthz() -> Response:
        return JSONResponse({"status": "ok", "key": witness.signer.verifier.vkey()})

    return app


def witness_signer(name: str, key_path: Path) -> Signer:
    key = load_signing_key(str(generate_key_file(key_path)))
    assert key is not None
    return Signer(name, key, COSIGNATURE_V1)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", type=Path, required=True, help="where the witness keeps its state")
    p.add_argument("--key", type=Path, required=True, help="its Ed25519 key (PEM; created if missing)")
    p.add_argument("--name", default="tracs-witness", help="its name in cosignatures")
    p.add_argument(
        "--log",
        action="append",
        default=orjson.loads(os.environ.get("TRACS_WITNESS_LOGS", "[]")),
        help="a log's verifier key it accepts (repeatable; or a JSON list in TRACS_WITNESS_LOGS)",
    )
    p.add_argument("--host", default=os.environ.get("TRACS_WITNESS_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("TRACS_WITNESS_PORT", "8190")))
    p.add_argument("--print-key", action="store_true", help="print its verifier key and exit")
    args = p.parse_args(argv)
    signer = witness_signer(args.name, args.key)
    if args.print_key:
        print(signer.verifier.vkey())
        return
    witness = Witness(signer, [Verifier.parse(v) for v in args.log], WitnessState(args.dir))
    uvicorn.run(create_app(witness), host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
