"""`tracs retention`: run every service's rows of the retention schedule (or one service's), dry or for real,
and show the disposal report (counts per service, record kind and rule; no id, no value)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from tracs.cli_common import settings_of

retention_app = typer.Typer(help="Retention rules, legal holds, disposals and the disposal report.")
APPLYING = ("cases", "disclosure", "redress", "reporting")  # intake purges its staged rows by itself


def _now(as_of: datetime | None, dry_run: bool) -> datetime:
    if as_of is not None and not dry_run:
        raise typer.BadParameter("--as-of only goes with --dry-run: a real purge is judged as of now")
    return (as_of if as_of and as_of.tzinfo else (as_of or datetime.now(UTC)).replace(tzinfo=UTC)).astimezone(UTC)


async def _run_one(service: str, now: datetime, dry_run: bool) -> dict[str, Any]:
    """One service's run against its own database, as the service itself runs it (audited, published)."""
    import importlib

    from shared.db import create_engine, session_factory
    from shared.uow import UnitOfWork

    s = settings_of(service)
    tables = importlib.import_module(f"services.{service}.db.tables")
    engine = create_engine(s.service_database_url, pool_size=1)
    try:
        uow = UnitOfWork(session_factory(engine), tables.outbox, producer=service, actor="tracs-cli")
        if service == "cases":
            from services.cases import retention, retention_rules

            rules = retention_rules.rules(s.retention_years)
            return await retention.run(uow=uow, now=now, dry_run=dry_run, rules=rules)
        module = importlib.import_module(f"services.{service}.retention")
        return await module.RETENTION.run(uow=uow, now=now, dry_run=dry_run, years=s.retention_years)
    finally:
        await engine.dispose()


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count what would go; change nothing")] = False,
    as_of: Annotated[datetime | None, typer.Option(help="judge as of this instant (dry runs only)")] = None,
    service: Annotated[str, typer.Option(help=f"one of {', '.join(APPLYING)}, or all")] = "all",
) -> None:
    """Dispose of what is due under the retention schedule in every service (held records spared); each
    disposal is audited and counted in the disposal report. Prints cases' ids and every service's counts."""
    if service != "all" and service not in APPLYING:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(APPLYING)} or all")
    now = _now(as_of, dry_run)
    verb = "would dispose of" if dry_run else "disposed of"
    for name in APPLYING if service == "all" else (service,):
        report = asyncio.run(_run_one(name, now, dry_run))
        if name == "cases":
            purge = "would purge" if dry_run else "purged"
            typer.echo(f"as of {report['as_of']}: {purge} {len(report['cases'])} cases, "
                       f"{len(report['encounters'])} encounters")  # fmt: skip
            for case_id in report["cases"]:
                typer.echo(f"  case {case_id}")
            for encounter_id in report["encounters"]:
                typer.echo(f"  encounter {encounter_id}")
            continue
        typer.echo(f"{name} as of {report['as_of']}: {verb}")
        for c in report["counts"]:
            typer.echo(f"  {c['kind']}: {c['count']} ({c['held']} held) under {c['rule']}")


@retention_app.command("report")
def retention_report(
    since: Annotated[datetime | None, typer.Option(help="only runs judged as of this instant or later")] = None,
) -> None:
    """The disposal report: what every service's runs disposed of, per record kind and rule (counts only)."""
    from services.reporting import retention
    from services.reporting.db import tables
    from shared.db import create_engine, session_factory
    from shared.uow import UnitOfWork

    s = settings_of("reporting")

    async def read() -> dict[str, Any]:
        engine = create_engine(s.service_database_url, pool_size=1)
        try:
            uow = UnitOfWork(session_factory(engine), tables.outbox, producer="reporting", actor="tracs-cli")
            return await retention.report(uow=uow, since=since)
        finally:
            await engine.dispose()

    found = asyncio.run(read())
    for r in found["rows"]:
        typer.echo(f"{r['service']:<11} {r['kind']:<22} {r['count']:>8} disposed {r['held']:>6} held  {r['rule']}")
    typer.echo(f"total: {found['total']} disposed, {found['held']} spared by legal holds")


@retention_app.command("owner-deletion")
def owner_deletion(
    encounter_id: Annotated[str, typer.Argument(help="the encounter the data owner's notice names")],
    owner: Annotated[str, typer.Option(help="the data owner that sent the notice (CBP, DOS, ICE...)")],
    reason: Annotated[str, typer.Option(help="the notice's reference or words (no personal data)")],
) -> None:
    """Record a data owner's deletion notice: the encounter's personal data leaves every service (audited), the
    accounting's minimum stays and its past recipients are listed. Refused for another owner's record or a held
    one."""
    import uuid

    from services.cases import owner_deletions
    from services.cases.db import tables
    from shared.db import create_engine, session_factory
    from shared.errors import DomainError
    from shared.uow import UnitOfWork

    s = settings_of("cases")

    async def run() -> dict[str, Any]:
        engine = create_engine(s.service_database_url, pool_size=1)
        try:
            uow = UnitOfWork(session_factory(engine), tables.outbox, producer="cases", actor="tracs-cli")
            return await owner_deletions.delete_at_owners_notice(
                uow=uow, encounter_id=uuid.UUID(encounter_id), data_owner=owner, reason=reason.strip()
            )
        finally:
            await engine.dispose()

    try:
        done = asyncio.run(run())
    except (DomainError, ValueError) as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from exc
    removed = f"cases removed with it: {len(done['cases_removed'])}; subject removed: {done['subject_removed']}"
    typer.echo(f"encounter {done['encounter_id']} deleted at {done['data_owner']}'s notice; {removed}")
