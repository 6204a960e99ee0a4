"""`tracs`: one command line for operators and developers."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from tracs.audit_cli import audit_app
from tracs.cli_common import ALL_PROCESSES
from tracs.cli_common import check_service as _check_service
from tracs.cli_common import settings_of as _settings
from tracs.dlq_cli import dlq_app
from tracs.retention_cli import retention_app
from tracs.stack import DEFAULT_PORTS, Stack, development_env

app = typer.Typer(help="TRACS operations: run the stack, manage topics, migrate, replay.", no_args_is_help=True)
topics_app = typer.Typer(help="Kafka topics: create with final partition counts, describe.")
app.add_typer(topics_app, name="topics")
users_app = typer.Typer(help="Logins kept by the gateway (development store; OIDC comes later).")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(retention_app, name="retention")
app.add_typer(dlq_app, name="dlq")

VAR = Path(os.environ.get("TRACS_VAR_DIR", "var")).resolve()


@app.command()
def up(
    pg_port: Annotated[int, typer.Option(envvar="TRACS_PG_PORT")] = 55432,
    kafka_port: Annotated[int, typer.Option(envvar="TRACS_KAFKA_PORT")] = 19092,
    smtp_port: Annotated[int, typer.Option(envvar="TRACS_SMTP_PORT")] = 8025,
    port: Annotated[int, typer.Option(envvar="TRACS_EDGE_PORT", help="the one public address (the edge)")] = 8000,
) -> None:
    """Start PostgreSQL, the broker, the SMTP sink, every service, the gateway and the edge (Caddy) in front of
    them; Ctrl-C stops all."""
    from shared.events import topics
    from shared.kafka import ensure_topics
    from shared.settings import TracsSettings
    from tracs.infra import Postgres, Tansu, stop_process, wait_for_port
    from tracs.pki import DEV_OFFICE_EMAIL, DEV_PARTNERS, ensure_dev_pki

    for sub in ("log", "run", "mail"):
        (VAR / sub).mkdir(parents=True, exist_ok=True)
    _refuse_if_running()
    ensure_dev_pki(VAR / "pki", DEV_OFFICE_EMAIL, DEV_PARTNERS)
    (VAR / "run" / "tracs-up.pid").write_text(str(os.getpid()))
    external_db = os.environ.get("TRACS_DATABASE_URL")
    external_kafka = os.environ.get("TRACS_KAFKA_BOOTSTRAP")
    pg = None if external_db else Postgres(VAR / "postgres", pg_port)
    broker = None if external_kafka else Tansu(kafka_port, VAR / "log" / "tansu.log")
    mailsink: subprocess.Popen | None = None
    ports = {name: int(os.environ.get(f"TRACS_{name.upper()}_PORT", port)) for name, port in DEFAULT_PORTS.items()}
    ports["edge"] = port
    stack: Stack | None = None
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        if pg:
            typer.echo(f"starting PostgreSQL on 127.0.0.1:{pg_port} (data in {pg.root})")
            pg.start()
        if broker:
            typer.echo(f"starting Tansu Kafka-protocol broker on 127.0.0.1:{kafka_port} (memory storage)")
            broker.start()
        db_url = external_db or pg.url  # type: ignore[union-attr]
        bootstrap = external_kafka or broker.bootstrap  # type: ignore[union-attr]
        settings = TracsSettings(kafka_bootstrap=bootstrap, database_url=db_url)
        created = asyncio.run(ensure_topics(settings, [settings.topic(t) for t in topics.all_with_dlq()]))
        typer.echo(f"topics ready ({len(created)} created, {settings.topic_partitions} partitions each)")
        mailsink = subprocess.Popen(
            [sys.executable, "-m", "tracs.mailsink", "--dir", str(VAR / "mail"), "--port", str(smtp_port)],
            stdout=(VAR / "log" / "mailsink.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(smtp_port, 15, mailsink)
        dev_env = development_env(VAR, smtp_port)
        stack = Stack(var=VAR, database_url=db_url, kafka_bootstrap=bootstrap, ports=ports, extra_env=dev_env)
        _write_endpoints(
            {
                "TRACS_DATABASE_URL": db_url,
                "TRACS_KAFKA_BOOTSTRAP": bootstrap,
                # Operator commands (`tracs import`) go in where everyone does: through the edge.
                "TRACS_GATEWAY_URL": f"http://127.0.0.1:{port}",
                # `tracs audit verify` checks checkpoints with this key's public half and reads this archive.
                "TRACS_AUDIT_SIGNING_KEY": dev_env["TRACS_AUDIT_SIGNING_KEY"],
                "TRACS_AUDIT_CHECKPOINT_FILE": dev_env["TRACS_AUDIT_CHECKPOINT_FILE"],
                # ... and requires the cosignature of the witness `tracs up` runs.
                "TRACS_AUDIT_WITNESS_URL": stack.url("witness"),
                "TRACS_AUDIT_WITNESS_KEYS": dev_env["TRACS_AUDIT_WITNESS_KEYS"],
            }
        )
        typer.echo("starting services (migrations run at start) ...")
        stack.start_all()
        password = os.environ.get("TRACS_DEV_PASSWORD", "tracs-dev")
        typer.echo(
            "\nTRACS is running.\n"
            f"  Console:   http://127.0.0.1:{port}   (API docs: /docs, events: /asyncapi.json; Caddy routes\n"
            f"             /api/v1/<area> straight to the service that owns it, the rest to the gateway)\n"
            f"  Logins:    admin, analyst, supervisor, auditor, privacy (privacy officer) — password '{password}'\n"
            f"  Token:     curl -d 'username=analyst&password={password}' http://127.0.0.1:{port}/api/v1/auth/token\n"
            f"  Mail sink: smtp://127.0.0.1:{smtp_port} -> {VAR / 'mail'}\n"
            f"  Dev PKI:   {VAR / 'pki'} (office + one certificate and key per seeded partner; open a message\n"
            f"             with: openssl cms -decrypt -in MAIL.eml -recip pki/P.crt -inkey pki/P.key)\n"
            f"  Audit:     checkpoints signed with {VAR / 'audit' / 'signing-key.pem'} (development key), archived\n"
            f"             in {VAR / 'audit' / 'checkpoints.jsonl'}; cosigned by the witness\n"
            f"             ({stack.url('witness')}, {VAR / 'witness'}); check: tracs audit verify / export --case ID\n"
            f"  Logs:      make logs   (files in {VAR / 'log'})\n"
            "Press Ctrl-C (or run `make stop`) to stop everything.\n"
        )
        while not stopping:
            for name, proc in list(stack.processes.items()):
                if proc.poll() is not None:
                    typer.echo(f"{name} exited ({proc.returncode}); restarting — see {VAR / 'log' / name}.log")
                    stack.start(name)
            time.sleep(1)
    finally:
        typer.echo("stopping ...")
        if stack:
            stack.stop_all()
        stop_process(mailsink)
        if broker:
            broker.stop()
        if pg:
            pg.stop()
        for name in ("tracs-up.pid", ENDPOINTS_FILE):
            with contextlib.suppress(FileNotFoundError):
                (VAR / "run" / name).unlink()
        typer.echo("stopped.")


ENDPOINTS_FILE = "endpoints.json"


def _write_endpoints(endpoints: dict[str, str]) -> None:
    """Where the running system is, so operator commands reach it whatever ports `tracs up` was given."""
    path = VAR / "run" / ENDPOINTS_FILE
    path.write_text(json.dumps(endpoints, indent=2))
    path.chmod(0o600)


@app.callback()
def _use_running_system(ctx: typer.Context) -> None:
    """Point operator commands at the system `tracs up` started here; explicit TRACS_* variables win.
    Logs go to stderr (warnings and worse): stdout is the command's answer, for people and pipes."""
    from shared.logging import configure_logging

    configure_logging("tracs-cli", level="WARNING", json=False)
    path = VAR / "run" / ENDPOINTS_FILE
    if ctx.invoked_subcommand not in ("up", "stop", "logs", "makemigration") and path.exists():
        for name, value in json.loads(path.read_text()).items():
            os.environ.setdefault(name, value)


def _refuse_if_running() -> None:
    pid_file = VAR / "run" / "tracs-up.pid"
    if pid_file.exists():
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
            os.kill(int(pid_file.read_text()), 0)
            typer.echo(f"TRACS is already running (pid {pid_file.read_text()}); `make stop` first.", err=True)
            raise typer.Exit(1)
        pid_file.unlink()


@app.command()
def stop(timeout: float = 60.0) -> None:
    """Stop a running `tracs up` (it stops its services, broker and database in order)."""
    pid_file = VAR / "run" / "tracs-up.pid"
    if not pid_file.exists():
        typer.echo("TRACS is not running.")
        return
    pid = int(pid_file.read_text())
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # `tracs up` removes its pid file as the last step of stopping; a process that has exited but not yet
        # been reaped by its parent (a zombie) still answers signal 0, so the file is the surer sign.
        if not pid_file.exists():
            typer.echo("stopped.")
            return
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            typer.echo("stopped.")
            return
        time.sleep(0.3)
    typer.echo(f"tracs up (pid {pid}) did not stop within {timeout}s", err=True)
    raise typer.Exit(1)


@app.command()
def logs(service: Annotated[str | None, typer.Argument()] = None) -> None:
    """Follow the JSON logs of every process (or one)."""
    files = [VAR / "log" / f"{service}.log"] if service else sorted((VAR / "log").glob("*.log"))
    if not files or not all(f.exists() for f in files):
        typer.echo(f"no logs under {VAR / 'log'} yet; start with `make run`", err=True)
        raise typer.Exit(1)
    os.execvp("tail", ["tail", "-n", "50", "-F", *map(str, files)])  # noqa: S606 - replaces this process


@topics_app.command("create")
def topics_create(partitions: Annotated[int | None, typer.Option(min=1)] = None) -> None:
    """Create every topic and its .dlq sibling (already existing ones are left alone)."""
    from shared.events import topics
    from shared.kafka import ensure_topics
    from shared.settings import TracsSettings

    s = TracsSettings()
    names = [s.topic(t) for t in topics.all_with_dlq()]
    created = asyncio.run(ensure_topics(s, names, partitions=partitions))
    for name in names:
        typer.echo(f"{'created' if name in created else 'exists '} {name}")


@topics_app.command("describe")
def topics_describe() -> None:
    """Partition count of every TRACS topic."""
    from shared.events import topics
    from shared.kafka import describe_topics
    from shared.settings import TracsSettings

    s = TracsSettings()
    names = [s.topic(t) for t in topics.all_with_dlq()]
    found = asyncio.run(describe_topics(s, names))
    for name in names:
        typer.echo(f"{name}: {found[name]} partitions" if name in found else f"{name}: MISSING")
    if len(found) < len(names):
        raise typer.Exit(1)


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[list[str], typer.Option(help="analyst, supervisor, auditor or admin (repeatable)")],
    program: Annotated[list[str] | None, typer.Option(help="UK-VISA, M5, PCSC, KST, REDRESS, REPORTING")] = None,
    password: Annotated[
        str, typer.Option(envvar="TRACS_NEW_USER_PASSWORD", prompt=True, confirmation_prompt=True, hide_input=True)
    ] = "",
) -> None:
    """Create a login in the gateway's database (creating and migrating that database if needed)."""
    from services.gateway import accounts
    from services.gateway.db import tables
    from services.gateway.settings import Settings
    from shared import migrations
    from shared.db import create_engine, ensure_database, session_factory
    from shared.errors import DomainError
    from shared.uow import UnitOfWork

    s = Settings()

    async def run() -> None:
        await ensure_database(s.service_database_url)
        await asyncio.to_thread(
            migrations.upgrade, s.service_database_url, Path(tables.__file__).parents[1] / "migrations"
        )
        engine = create_engine(s.service_database_url, pool_size=1)
        try:
            uow = UnitOfWork(session_factory(engine), tables.outbox, producer="gateway", actor="tracs-cli")
            await accounts.create_user(
                uow=uow, username=username, password=password, roles=set(role), programs=set(program or [])
            )
        finally:
            await engine.dispose()

    try:
        asyncio.run(run())
    except DomainError as exc:
        typer.echo(f"refused: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"created {username} ({', '.join(sorted(role))})")


@app.command()
def migrate(service: Annotated[str | None, typer.Argument()] = None) -> None:
    """Create each service's database if needed and upgrade it to the latest migration."""
    from shared import migrations
    from shared.db import ensure_database

    for name in [_check_service(service)] if service else ALL_PROCESSES:
        s = _settings(name)
        asyncio.run(ensure_database(s.service_database_url))
        migrations.upgrade(s.service_database_url, Path(f"services/{name}/migrations").resolve())
        typer.echo(f"{name}: migrated")


@app.command()
def replay(
    service: str,
    since: Annotated[datetime, typer.Option(help="ISO date-time; events created at or after it are re-published")],
) -> None:
    """Re-publish a service's outbox from a point in time (consumers are idempotent, so this is safe)."""
    from shared.db import create_engine, session_factory
    from shared.kafka import make_producer
    from shared.outbox import replay as replay_outbox

    name = _check_service(service)
    s = _settings(name)
    db = importlib.import_module(f"services.{name}.db")

    async def run() -> int:
        engine = create_engine(s.service_database_url, pool_size=2)
        producer = make_producer(s, client_id=f"tracs-replay-{name}")
        await producer.start()
        try:
            return await replay_outbox(
                session_factory(engine),
                db.metadata.tables["outbox"],
                producer,
                since=since,
                topic_prefix=s.topic_prefix,
            )
        finally:
            await producer.stop()
            await engine.dispose()

    typer.echo(f"{name}: re-published {asyncio.run(run())} events created since {since.isoformat()}")


@app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    program: Annotated[str, typer.Option(help="UK-VISA, M5, PCSC or KST")],
    kind: Annotated[str, typer.Option(help="partner-query or partner-extract")] = "partner-query",
    partner: Annotated[
        str | None,
        typer.Option(help="the partner country the file comes from (GBR; a partner-country column overrides it)"),
    ] = None,
    confirm: Annotated[bool, typer.Option(help="confirm after the preview and wait for cases")] = False,
    block_on_invalid: Annotated[bool, typer.Option(help="refuse the import if any row is invalid")] = False,
    gateway: Annotated[str, typer.Option(envvar="TRACS_GATEWAY_URL")] = "http://127.0.0.1:8000",
    user: Annotated[str, typer.Option(envvar="TRACS_USER")] = "analyst",
    password: Annotated[str, typer.Option(envvar="TRACS_PASSWORD", prompt=True, hide_input=True)] = "",
    wait: Annotated[float, typer.Option(help="seconds to wait for cases")] = 600.0,
) -> None:
    """Upload a spreadsheet through the gateway (same path as analysts), show its preview, optionally import."""
    import httpx
    from rich.console import Console

    from tracs.importer import ImportFailed, run_import

    console = Console(stderr=False, soft_wrap=True)  # whole lines in a pipe or a log, not wrapped at 80
    try:
        run_import(
            path=path,
            program=program,
            kind=kind,
            partner=partner,
            gateway=gateway,
            username=user,
            password=password,
            confirm=confirm,
            block_on_invalid=block_on_invalid,
            wait_seconds=wait,
            console=console,
        )
    except (ImportFailed, OSError, httpx.HTTPError) as exc:
        typer.echo(f"import failed: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def makemigration(service: str, message: Annotated[str, typer.Option("-m")], rev_id: str) -> None:
    """Autogenerate a migration for a service against a scratch database (developers)."""
    from shared import migrations
    from shared.db import drop_database, ensure_database
    from tracs.infra import Postgres, free_port

    name = _check_service(service)
    importlib.import_module(f"services.{name}.db")
    pg = Postgres(VAR / "scratch-postgres", free_port())
    pg.start()
    try:
        url = pg.url.rsplit("/", 1)[0] + f"/scratch_{name}"
        asyncio.run(drop_database(url))
        asyncio.run(ensure_database(url))
        d = Path(f"services/{name}/migrations").resolve()
        migrations.upgrade(url, d)
        migrations.make_revision(url, d, message, rev_id)
    finally:
        pg.stop()


if __name__ == "__main__":
    app()
