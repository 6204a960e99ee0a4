"""`tracs audit`: verify every service's trail against its signed, witnessed checkpoints; export and check a
case's bundle offline; show the latest checkpoint."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from tracs.cli_common import ALL_PROCESSES
from tracs.cli_common import check_service as _check_service
from tracs.cli_common import settings_of as _settings

audit_app = typer.Typer(help="The hash-chained audit trail every service keeps, and its signed checkpoints.")


@audit_app.command("verify")
def audit_verify(
    service: Annotated[str | None, typer.Argument()] = None,
    bundle: Annotated[
        Path | None, typer.Option(help="check this exported bundle offline: no network, no database")
    ] = None,
    trust: Annotated[
        list[str] | None, typer.Option(help="a log or witness verifier key to trust (name+id+key; repeatable)")
    ] = None,
    against_trail: Annotated[
        bool, typer.Option("--against-trail", help="with --bundle: name the live entries that differ from it")
    ] = False,
) -> None:
    """Walk every service's audit trail and check it against the signed (and witnessed) checkpoints kept
    outside its database; name the first entry that differs (exit 1 if any trail is broken). With --bundle,
    check an exported bundle instead."""
    from tracs import audit as tools

    if bundle is not None:
        raise typer.Exit(_verify_bundle(bundle, trust or [], against_trail))
    broken = False
    for name in [_check_service(service)] if service else ALL_PROCESSES:
        verdict = asyncio.run(tools.verify(name))
        report, where = verdict.report, verdict.broken_at
        tree = verdict.tree
        if where is None:
            typer.echo(
                f"{name}: intact ({report.entries} entries, {tree.checkpoints if tree else 0} signed tree checkpoints, "
                f"{report.checkpoints} signed chain heads, {report.pending} waiting for the sequencer)"
            )
        else:
            typer.echo(f"{name}: BROKEN at entry {where[0]}: {where[1]} ({report.entries} entries in the trail)")
        for problem in verdict.problems:
            typer.echo(f"{name}: {problem}")
        broken = broken or not verdict.intact
    raise typer.Exit(1 if broken else 0)


def _trusted_logs(bundle: dict) -> list:
    """The log keys this deployment's settings name for the bundle's services (none on an inspector's machine
    without TRACS_AUDIT_* settings: then --trust names them)."""
    from tracs.audit import log_verifiers

    services = {log.get("service") for log in bundle["logs"]} & set(ALL_PROCESSES)
    return [v for name in sorted(services) for v in log_verifiers(name, _settings(name))]


def _trusted_witnesses(bundle: dict) -> list:
    from tracs.audit import witness_verifiers

    services = {log.get("service") for log in bundle["logs"]} & set(ALL_PROCESSES)
    return list({v.vkey(): v for name in services for v in witness_verifiers(_settings(name))}.values())


def _verify_bundle(path: Path, trust: list[str], against_trail: bool) -> int:
    from shared.signed_note import COSIGNATURE_V1, NoteError, Verifier
    from tracs import audit_bundle

    try:
        data = audit_bundle.read(path.read_bytes())
        trusted = [Verifier.parse(t) for t in trust]
    except (OSError, audit_bundle.BundleError, NoteError) as exc:
        typer.echo(f"bundle refused: {exc}")
        return 1
    logs = [v for v in trusted if v.alg != COSIGNATURE_V1] + _trusted_logs(data)
    witnesses = [v for v in trusted if v.alg == COSIGNATURE_V1] + _trusted_witnesses(data)
    report = audit_bundle.check(data, logs=logs, witnesses=witnesses)
    for problem in report.problems:
        typer.echo(f"bundle: {problem}")
    if not report.intact:
        typer.echo(f"bundle refused ({report.entries} entries, {len(report.problems)} problems)")
        return 1
    witnessed = "cosigned by a trusted witness" if witnesses else "no witness key trusted"
    typer.echo(
        f"bundle intact: {report.entries} entries of {report.logs} trails proven in signed checkpoints ({witnessed})"
    )
    if against_trail:
        differences = asyncio.run(audit_bundle.differences(data, _settings))
        for line in differences:
            typer.echo(f"trail: {line}")
        if differences:
            return 1
        typer.echo("trail: every entry of the bundle is in the live trail as proven")
    return 0


@audit_app.command("export")
def audit_export(
    case: Annotated[str, typer.Option("--case", help="the case (any record id) whose audit entries to export")],
    out: Annotated[Path, typer.Option(help="the bundle file to write")] = Path("audit-bundle.json"),
) -> None:
    """Write a bundle of every service's entries about a case, with their inclusion proofs, the cosigned
    checkpoints and the public keys, which `tracs audit verify --bundle` checks offline."""
    import orjson

    from tracs import audit_bundle

    bundle = asyncio.run(audit_bundle.export(case, ALL_PROCESSES, _settings))
    count = sum(log["entry_count"] for log in bundle["logs"])
    # The bundle is checked as an inspector would before it is written: a trail changed since its checkpoint
    # was signed gives proofs that lead elsewhere, and is reported here rather than handed over.
    check = audit_bundle.check(bundle, logs=_trusted_logs(bundle), witnesses=_trusted_witnesses(bundle))
    for problem in check.problems:
        typer.echo(f"export refused: {problem}")
    if check.problems:
        raise typer.Exit(1)
    if not count:
        typer.echo(f"no audit entry about {case} is under a signed checkpoint yet")
        raise typer.Exit(1)
    out.write_bytes(orjson.dumps(bundle, option=orjson.OPT_INDENT_2))
    typer.echo(f"wrote {out}: {count} entries from {bundle['log_count']} trails")


@audit_app.command("checkpoint")
def audit_checkpoint(service: Annotated[str | None, typer.Argument()] = None) -> None:
    """Print the latest signed checkpoint of each service (or one), as JSON, with whether its signature holds."""
    from shared.audit_sequencer import signature_holds, verify_keys
    from tracs import audit as tools

    latest = {cp.service: cp for cp in asyncio.run(tools.checkpoints(_check_service(service) if service else None))}
    if not latest:
        typer.echo("no checkpoints yet")
        raise typer.Exit(1)
    for name, cp in sorted(latest.items()):
        s = _settings(name)
        holds = signature_holds(cp, verify_keys(s.audit_signing_key, s.audit_verify_keys))
        typer.echo(json.dumps({**cp.model_dump(mode="json"), "signature_holds": holds}))
