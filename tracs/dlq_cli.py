"""`tracs dlq list|show|replay|drop`: dead letters for operators (tracs/dlq.py says how they stay consistent)."""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer

from shared.settings import TracsSettings
from tracs import dlq
from tracs.cli_common import settings_of

dlq_app = typer.Typer(help="Dead-lettered messages: list, show, replay through their consumer, drop.")

T = TypeVar("T")
Actor = Annotated[
    str,
    typer.Option(envvar="TRACS_OPERATOR", help="who acts, for the audit trail (default: the login name)"),
]


def _who(actor: str) -> str:
    """The operator for the audit trail; a pod's user may have no name, and then one must be given."""
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError) as exc:
        raise typer.BadParameter("say who you are: --actor NAME or TRACS_OPERATOR") from exc


def _run(work: Callable[[dlq.Operator, TracsSettings], Awaitable[T]]) -> T:
    async def go() -> T:
        operator = dlq.Operator(settings_of)
        try:
            return await work(operator, TracsSettings())
        finally:
            await operator.close()

    try:
        return asyncio.run(go())
    except dlq.UnknownDeadLetter as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


async def _one(settings: TracsSettings, message_id: str) -> dlq.DeadLetter:
    wanted = dlq.parse_id(message_id, settings)
    found = await dlq.read(settings, only=wanted)
    if not found:
        raise dlq.UnknownDeadLetter(f"no message {message_id} (wrong id, or past the topic's retention)")
    return found[0]


def _state(handling: dlq.Handling | None) -> str:
    if handling is None:
        return "pending"
    verb = "replayed" if handling.action == "dlq:replay" else "dropped"
    return f"{verb} by {handling.actor} at {handling.at.astimezone(UTC).isoformat(timespec='seconds')}"


async def _refuse(op: dlq.Operator, who: str, action: str, letter: dlq.DeadLetter, done: dlq.Handling) -> str:
    """A repeated replay or drop changes nothing, and the attempt is on the trail as refused."""
    detail = f"already {done.action} by {done.actor}"
    await op.audit(actor=who, action=action, record_id=letter.id, detail=detail, outcome="refused")
    return f"{letter.id}: already {_state(done)}; nothing done"


def _summary(letter: dlq.DeadLetter, handling: dlq.Handling | None) -> dict[str, Any]:
    return {
        "id": letter.id,
        "consumer": letter.consumer,
        "source": letter.source,
        "event_type": letter.event_type,
        "event_id": letter.event_id,
        "correlation_id": letter.header("correlation_id"),
        "dead_lettered_at": letter.timestamp.isoformat(timespec="seconds"),
        "error": letter.error,
        "state": _state(handling),
    }


@dlq_app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", help="also those already replayed or dropped")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document, for scripts")] = False,
    actor: Actor = "",
) -> None:
    """Messages in the dead-letter topics an operator has not handled yet (`--all`: every one)."""

    who = _who(actor)  # before anything happens: the audit entry must be writable

    async def work(op: dlq.Operator, settings: TracsSettings) -> list[dict[str, Any]]:
        letters, handled = await dlq.read(settings), await op.handled()
        await op.audit(actor=who, action="dlq:list", record_id=None)
        return [_summary(x, handled.get(x.id)) for x in letters if all_ or x.id not in handled]

    rows = _run(work)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        error = r["error"].splitlines()[0][:100] if r["error"] else ""
        typer.echo(f"{r['id']}  {r['consumer']}  {r['event_type'] or '-'}  {r['dead_lettered_at']}  {r['state']}")
        typer.echo(f"    {error}")
    typer.echo(f"{len(rows)} message(s)")


@dlq_app.command()
def show(
    message_id: Annotated[str, typer.Argument(help="<topic>.dlq:<partition>:<offset>, as `tracs dlq list` shows")],
    payload: Annotated[bool, typer.Option("--payload", help="also the key and body (personal data: audited)")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    actor: Actor = "",
) -> None:
    """One dead letter: its error and trace, consumer, source record, original headers and state."""

    who = _who(actor)  # before anything happens: the audit entry must be writable

    async def work(op: dlq.Operator, settings: TracsSettings) -> dict[str, Any]:
        letter = await _one(settings, message_id)
        handling = (await op.handled()).get(letter.id)
        fields = ("key", "payload") if payload else ()
        await op.audit(actor=who, action="dlq:show", record_id=letter.id, fields=fields)
        out = _summary(letter, handling)
        out["trace"] = letter.trace
        out["headers"] = {k: v.decode(errors="replace") for k, v in letter.headers}
        out["bytes"] = len(letter.value)
        if payload:
            out["key"] = letter.key.decode(errors="replace") if letter.key is not None else None
            out["payload"] = letter.value.decode(errors="replace")
        return out

    out = _run(work)
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        return
    for name, value in out.items():
        typer.echo(f"{name}: {json.dumps(value) if isinstance(value, dict) else value}")


@dlq_app.command()
def replay(
    message_id: Annotated[str, typer.Argument(help="<topic>.dlq:<partition>:<offset>")],
    actor: Actor = "",
) -> None:
    """Put the original record back on its source topic so its consumer applies it (once) with today's code.

    Fix the cause first. A message already replayed or dropped is left alone: repeating is safe."""

    who = _who(actor)  # before anything happens: the audit entry must be writable

    async def work(op: dlq.Operator, settings: TracsSettings) -> str:
        letter = await _one(settings, message_id)
        done = (await op.handled()).get(letter.id)
        if done is not None:
            return await _refuse(op, who, "dlq:replay", letter, done)
        expected = settings.topic(letter.dlq_topic.removesuffix(".dlq"))
        if letter.source_topic != expected or not letter.consumer:
            raise dlq.UnknownDeadLetter(
                f"{letter.id}: its source {letter.source!r} is not {expected}: refusing to publish elsewhere"
            )
        # Inbox first: were the record republished before, the consumer would skip it as a duplicate.
        # A failure after this point leaves the message listed; running replay again completes it.
        forgotten = await op.forget_dead_letter(letter)
        topic, partition, offset = await dlq.republish(settings, letter)
        detail = f"republished to {topic}:{partition}:{offset}; consumer {letter.consumer}"
        await op.audit(actor=who, action="dlq:replay", record_id=letter.id, detail=detail)
        note = "" if forgotten else " (no dead-lettered inbox row: the consumer decides afresh)"
        return f"{letter.id}: replayed to {topic}:{partition}:{offset} for {letter.consumer}{note}"

    typer.echo(_run(work))


@dlq_app.command()
def drop(
    message_id: Annotated[str, typer.Argument(help="<topic>.dlq:<partition>:<offset>")],
    reason: Annotated[str, typer.Option(help="why it is not replayed (audited: no personal data)")],
    actor: Actor = "",
) -> None:
    """Decide a dead letter is never to be applied: `list` hides it, the consumer keeps skipping it."""

    who = _who(actor)  # before anything happens: the audit entry must be writable

    async def work(op: dlq.Operator, settings: TracsSettings) -> str:
        letter = await _one(settings, message_id)
        done = (await op.handled()).get(letter.id)
        if done is not None:
            return await _refuse(op, who, "dlq:drop", letter, done)
        await op.mark_dropped(letter)
        detail = f"consumer {letter.consumer}; reason: {reason[:300]}"
        await op.audit(actor=who, action="dlq:drop", record_id=letter.id, detail=detail)
        return f"{letter.id}: dropped ({datetime.now(UTC).isoformat(timespec='seconds')})"

    typer.echo(_run(work))
