"""`recording-service` command line (names fixed by the API contract)."""

import asyncio
import hashlib
import json
import logging
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from .audit.checkpoint import CheckpointRefused, verify_with_checkpoints, write_checkpoint
from .audit.service import SYSTEM, record
from .auth.models import ApiToken
from .auth.people import PersonError, check_password, create_user, disable_user, find_user, reset_password
from .auth.service import create_token, parse_duration, token_status, validate_agency
from .cases.models import Case
from .catalog.service import CatalogError, load_catalog
from .core.config import Settings
from .core.db import create_engine
from .core.migrate import upgrade, upgrade_in_child
from .core.principals import ALL_AGENCIES, Principal, Role
from .core.problems import Problem
from .custody.fixity import run_fixity
from .custody.intake import ingest_for
from .custody.retention import sweep
from .custody.uploads import sweep_uploads
from .export.bag import build_case_bag
from .export.signing import key_id_in_child, load_signing_key, public_key_from
from .export.verify import verify_export
from .ingest.recordings import close_idle_recordings
from .storage import StoreUnavailable

app = typer.Typer(
    pretty_exceptions_enable=False,
    help="recording_service: evidence recording for administrative law enforcement (执法全过程记录).",
    no_args_is_help=True,
)
token_app = typer.Typer(pretty_exceptions_enable=False, help="API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
calendar_app = typer.Typer(pretty_exceptions_enable=False, help="The official working-day calendar.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
user_app = typer.Typer(pretty_exceptions_enable=False, help="People who sign in to the pages.", no_args_is_help=True)
app.add_typer(user_app, name="user")
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
fixity_app = typer.Typer(help="Re-hash stored evidence.", no_args_is_help=True)
app.add_typer(fixity_app, name="fixity")
uploads_app = typer.Typer(help="Unfinished uploads.", no_args_is_help=True)
app.add_typer(uploads_app, name="uploads")
jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)
keys_app = typer.Typer(help="The key that signs case files.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(jobs_app, name="jobs")
retention_app = typer.Typer(help="Retention policy: the only deletion path.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")
publications_app = typer.Typer(help="行政执法公示: publications.", no_args_is_help=True)
app.add_typer(publications_app, name="publications")
webhooks_app = typer.Typer(help="Webhook deliveries to the publication platform.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")
stats_app = typer.Typer(help="The stored figures the statistics read.", no_args_is_help=True)
app.add_typer(stats_app, name="stats")
agency_app = typer.Typer(pretty_exceptions_enable=False, help="Agency profiles (本单位信息).", no_args_is_help=True)
app.add_typer(agency_app, name="agency")
subjects_app = typer.Typer(pretty_exceptions_enable=False, help="双随机: the 检查对象名录库.", no_args_is_help=True)
app.add_typer(subjects_app, name="subjects")
draws_app = typer.Typer(pretty_exceptions_enable=False, help="双随机: the random draws of inspection plans.", no_args_is_help=True)
app.add_typer(draws_app, name="draws")
err = Console(stderr=True)
# Commands run by the operator on the server read as an administrator; their audit actor is SYSTEM.
OPERATOR = Principal(id="cli", name="operator", role=Role.admin, agency=ALL_AGENCIES)


@app.command()
def migrate() -> None:
    """Apply Alembic migrations to RECORDING_DATABASE_URL."""
    settings = Settings()
    upgrade(settings.database_url)
    err.print(f"[green]database is at the latest schema[/green] ({settings.database_url.split('@')[-1]})")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    job_worker: Annotated[
        bool, typer.Option("--job-worker/--no-job-worker", help="also run background jobs (probing) in each process")
    ] = True,
) -> None:
    """Migrate, then run the API (and, unless --no-job-worker, a background job worker in each process)."""
    import uvicorn

    if not job_worker:
        os.environ["RECORDING_RUN_WORKER"] = "false"  # read by each server process's settings

    settings = Settings()
    try:
        load_catalog(settings.catalog_dir)
    except CatalogError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    upgrade_in_child(settings.database_url)  # the server process carries none of what migrating takes
    signing_key_id = key_id_in_child(settings.signing_key_file)  # made now if missing; nor the signature library
    from .core.drain import GRACEFUL_SECONDS, DrainingServer
    from .core.logs import log_config

    config = uvicorn.Config(
        "recording_service.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # X-Forwarded-For / -Proto are believed only from the configured proxies: otherwise any client
        # could write the address of its choice into the audit log.
        http=http_protocol(),
        proxy_headers=bool(settings.trusted_proxies.strip()),
        forwarded_allow_ips=settings.trusted_proxies.strip() or None,
        timeout_keep_alive=30,
        # SIGTERM drains the uploads in flight first (core/drain.py); then other requests get this long.
        timeout_graceful_shutdown=int(GRACEFUL_SECONDS),
        log_config=log_config(settings.log_format),
        log_level="info",
        access_log=settings.log_format != "json",  # JSON: the service writes its own access lines (with the route)
    )
    logging.getLogger("uvicorn.error").info("case files are signed by key %s (%s)", signing_key_id, settings.signing_key_file)
    run_server(config, DrainingServer)


def run_server(config, server_class) -> None:
    """uvicorn.run with our server class (in each worker process too, with --workers)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess
    from uvicorn.supervisors import multiprocess as supervisor

    if config.workers > 1:

        class Process(supervisor.Process):
            @property
            def server(self) -> uvicorn.Server:
                if self._server is None:
                    self._server = server_class(config=self.config)
                return self._server

        supervisor.Process = Process  # what Multiprocess starts for each worker
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    config.load_app()
    server = server_class(config=config)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    if not server.started:
        raise typer.Exit(3)
    # Shut down cleanly (engine disposed, store closed, logs written): skip the interpreter's teardown, which
    # frees every module one by one for a second or more — time the orchestrator's grace period counts.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@app.command()
def worker() -> None:
    """Run background jobs (probing; later playback copies and deliveries) until stopped. Any number of
    workers on any number of hosts may run against one database: each job runs once at a time."""
    import signal

    from .app import job_queue, run_worker, store_for

    settings = Settings()
    upgrade(settings.database_url)

    async def run() -> None:
        engine = create_engine(settings.database_url)
        sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        store = await store_for(settings, sessionmaker)
        queue = job_queue(settings, sessionmaker, store)
        task = asyncio.create_task(run_worker(queue))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        err.print(f"[green]job worker running[/green] ({queue.kind} queue)")
        try:
            await task
        except asyncio.CancelledError:
            pass
        finally:
            await queue.close()
            await store.close()
            await engine.dispose()

    asyncio.run(run())


@jobs_app.command("failed")
def jobs_failed(limit: Annotated[int, typer.Option(min=1, help="at most this many, newest first")] = 100) -> None:
    """List background jobs that failed every attempt (JSON); exit 1 when there are any."""
    from .app import job_queue

    settings = Settings()

    async def work(sessionmaker, store):
        queue = job_queue(settings, sessionmaker, store)
        try:
            return await queue.dead_jobs(limit)
        finally:
            await queue.close()

    dead = _run_with_store(work)
    typer.echo(json.dumps(dead, ensure_ascii=False, default=str))
    if dead:
        raise typer.Exit(1)


async def issue_token(
    database_url: str, role: Role, agency: str, name: str | None, expires_in: "timedelta | None" = None
) -> tuple[str, str]:
    """Create a token (audited) in a migrated database; returns its id and its secret."""
    engine = create_engine(database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False).begin() as session:  # the command's own transaction
            token, secret = await create_token(session, role, agency, name, expires_in)
            await record(
                session,
                SYSTEM,
                "token.created",
                agency=None if agency == "*" else agency,
                payload={
                    "token_id": token.id,
                    "role": role.value,
                    "agency": agency,
                    "name": token.name,
                    "expires_at": token.expires_at.isoformat() if token.expires_at else None,
                },
            )
            return token.id, secret
    finally:
        await engine.dispose()


def http_protocol():
    """Our guarded httptools protocol when httptools is installed (uvicorn[standard]); uvicorn's choice otherwise."""
    try:
        from .core.http_server import GuardedHttpToolsProtocol
    except ImportError:
        return "auto"
    return GuardedHttpToolsProtocol


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="admin, dock, case_system, auditor or reviewer")],
    agency: Annotated[str, typer.Option(help="agency code; '*' (admin only) sees every agency")],
    name: Annotated[str | None, typer.Option(help="who or what holds the token")] = None,
    expires_in: Annotated[str | None, typer.Option(help="valid for this long, e.g. 90d, 12h, 2w (default: until revoked)")] = None,
) -> None:
    """Create an API token; the token is printed alone on the last line of stdout."""
    try:
        validate_agency(agency, role)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--agency") from None
    try:
        lifetime = parse_duration(expires_in) if expires_in else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--expires-in") from None
    settings = Settings()
    upgrade(settings.database_url)
    token_id, secret = asyncio.run(issue_token(settings.database_url, role, agency, name, lifetime))
    typer.echo(f"token id: {token_id}  role: {role.value}  agency: {agency}" + (f"  expires in: {expires_in}" if expires_in else ""))
    typer.echo("Store it now: only its hash is kept.")
    typer.echo(secret)


@token_app.command("list")
def token_list() -> None:
    """Every token (never its secret) as JSON: id, name, role, agency, created, expires, revoked, status."""

    async def work(sessionmaker, store):
        async with sessionmaker() as session:
            tokens = (await session.execute(select(ApiToken).order_by(ApiToken.created_at, ApiToken.id))).scalars().all()
        now = datetime.now(UTC)
        return [
            {
                "id": t.id,
                "name": t.name,
                "role": t.role,
                "agency": t.agency,
                "created_at": t.created_at.isoformat(),
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                "status": token_status(t, now),
            }
            for t in tokens
        ]

    typer.echo(json.dumps(_run_with_store(work), ensure_ascii=False))


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="the token's id (from `token list`)")]) -> None:
    """Revoke a token at once (audited); exit 1 when there is no such token or it was already revoked."""

    async def work(sessionmaker, store):
        async with sessionmaker.begin() as session:  # the command's own transaction
            token = await session.get(ApiToken, token_id)
            if token is None or token.revoked_at is not None:
                return None if token is None else "already"
            token.revoked_at = datetime.now(UTC)
            await record(
                session,
                SYSTEM,
                "token.revoked",
                agency=None if token.agency == "*" else token.agency,
                payload={"token_id": token.id, "role": token.role, "agency": token.agency, "name": token.name},
            )
            return "revoked"

    outcome = _run_with_store(work)
    if outcome != "revoked":
        err.print(f"[red]no token {token_id}[/red]" if outcome is None else f"[yellow]token {token_id} was already revoked[/yellow]")
        raise typer.Exit(1)
    err.print(f"[green]token {token_id} revoked[/green]")


def _read_password(from_stdin: bool) -> str:
    """A password never comes as an argument (it would sit in the shell history and the process list)."""
    if from_stdin:
        import sys

        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        return check_password(password)
    except PersonError as exc:
        raise typer.BadParameter(str(exc), param_hint="password") from None


def _person_command(work) -> None:
    try:
        outcome = _run_with_store(work)
    except PersonError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    err.print(f"[green]{outcome}[/green]")


def _existing_user(session, username: str):
    async def find():
        user = await find_user(session, username)
        if user is None:
            raise PersonError(f"no user {username}")
        return user

    return find()


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="the sign-in name (lowercase letters, digits, '_', '.', '-')")],
    role: Annotated[Role, typer.Option(help="admin, auditor or reviewer")],
    agency: Annotated[str, typer.Option(help="agency code; '*' (admin only) sees every agency")],
    name: Annotated[str | None, typer.Option(help="the person's name as pages and audit events show it")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")] = False,
) -> None:
    """Create a person's account (audited); the password is prompted for, or read from stdin."""
    password = _read_password(password_stdin)

    async def work(sessionmaker, store):
        async with sessionmaker.begin() as session:  # the command's own transaction
            user = await create_user(session, SYSTEM, username, role, agency, name, password)
            return f"user {user.username} ({user.display_name}) created: role {user.role}, agency {user.agency}, id {user.id}"

    _person_command(work)


@user_app.command("disable")
def user_disable(username: Annotated[str, typer.Argument(help="the sign-in name")]) -> None:
    """Disable an account at once: its sessions end and it cannot sign in (audited; the account stays in history)."""

    async def work(sessionmaker, store):
        async with sessionmaker.begin() as session:  # the command's own transaction
            user = await _existing_user(session, username)
            if user.disabled_at is not None:
                raise PersonError(f"user {user.username} was already disabled")
            await disable_user(session, SYSTEM, user)
            return f"user {user.username} disabled"

    _person_command(work)


@user_app.command("reset-password")
def user_reset_password(
    username: Annotated[str, typer.Argument(help="the sign-in name")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")] = False,
) -> None:
    """Set a new password: the account is unlocked and its sessions end (audited)."""
    password = _read_password(password_stdin)

    async def work(sessionmaker, store):
        async with sessionmaker.begin() as session:  # the command's own transaction
            user = await _existing_user(session, username)
            await reset_password(session, SYSTEM, user, password)
            return f"password of {user.username} reset; the account is unlocked"

    _person_command(work)


@calendar_app.command("load")
def calendar_load(
    file: Annotated[
        Path,
        typer.Argument(
            help="YAML or JSON: one year (year, source, holidays, working_weekends) or {years: [...]}",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    replace: Annotated[bool, typer.Option("--replace", help="correct a year the calendar already holds")] = False,
) -> None:
    """Add a year of the State Council's holiday arrangement (audited); deadlines in it stop being provisional."""
    import yaml
    from pydantic import ValidationError

    from .catalog.schemas import CalendarYear
    from .workdays.service import YearExists, load_year

    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
        entries = document["years"] if isinstance(document, dict) and "years" in document else [document]
        years = [CalendarYear.model_validate(entry) for entry in entries]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        typer.echo(f"{file} is not a calendar year: {problems}", err=True)
        raise typer.Exit(1) from None
    except (yaml.YAMLError, TypeError, KeyError, UnicodeDecodeError) as exc:
        typer.echo(f"{file} is not a calendar year: {exc}", err=True)
        raise typer.Exit(1) from None
    settings = Settings()
    catalog = load_catalog(settings.catalog_dir)

    async def work(sessionmaker, store):
        async with sessionmaker.begin() as session:  # the command's own transaction
            outcomes = [f"{year.year}: {await load_year(session, catalog, SYSTEM, year, replace=replace)}" for year in years]
            return outcomes

    try:
        outcomes = _run_with_store(work)
    except YearExists as exc:
        typer.echo(f"{exc}; nothing was loaded (--replace corrects it)", err=True)
        raise typer.Exit(1) from None
    err.print("[green]" + ", ".join(outcomes) + "[/green]")


@publications_app.command("expire")
def publications_expire() -> None:
    """End the publications whose period is over (the worker does this every 10 minutes; public reads hide them at once)."""
    from .core.times import today
    from .publication.service import expire_due

    settings = Settings()

    async def work(sessionmaker, store):
        async with sessionmaker.begin() as session:  # the command's own transaction
            count = await expire_due(session, SYSTEM, today(settings.tz), settings.tz)
            return count

    typer.echo(f'{{"expired": {_run_with_store(work)}}}')


@webhooks_app.command("replay")
def webhooks_replay(delivery_id: Annotated[str, typer.Argument(help="the delivery (webhook-id, msg_…) to send again")]) -> None:
    """Send a delivery again with the same webhook-id (receivers deduplicate on it); audited."""
    from .webhooks.service import replay

    async def work(sessionmaker, store):
        async with sessionmaker.begin() as session:  # the command's own transaction
            delivery = await replay(session, OPERATOR, delivery_id)
            return delivery.event

    try:
        event = _run_with_store(work)
    except Problem as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from None
    typer.echo(f'{{"replayed": "{delivery_id}", "event": "{event}"}}')


@stats_app.command("refresh")
def stats_refresh(
    all_cases: Annotated[bool, typer.Option("--all", help="recompute every case (after a catalog change), not only what changed")] = False,
) -> None:
    """Bring the statistics' figures up to date with the audit log (the worker does this every 10 s); --all recomputes every case."""
    from .catalog.service import load_catalog
    from .stats.filing import catch_up_filings, rebuild_filings
    from .stats.refresh import follow, recompute_all

    settings = Settings()
    catalog = load_catalog(settings.catalog_dir)

    async def work(sessionmaker, store):
        everything = await recompute_all(sessionmaker, catalog, settings) if all_cases else None
        progress = await follow(sessionmaker, catalog, settings, max_cases=500)
        # issue 27: 关联率 — every footage item's filing row again with --all; else those that have none yet
        filings = await rebuild_filings(sessionmaker, settings) if all_cases else 0
        while True:
            async with sessionmaker() as session:
                caught_up = await catch_up_filings(session, settings.tz)
                await session.commit()
            filings += caught_up
            if not caught_up:
                break
        return everything, progress, filings

    everything, progress, filings = _run_with_store(work)
    typer.echo(
        json.dumps(
            {
                "events": progress.events,
                "cases": progress.cases,
                "days": progress.days,
                "pending": progress.pending,
                **({"recomputed": everything} if everything is not None else {}),
                "filings": filings,
            }
        )
    )


OPTION_OF = {"name_zh": "name-zh", "division_code": "division", "office_hours": "office-hours", "review_body": "review-body"}


@agency_app.command("set")
def agency_set(
    code: Annotated[str, typer.Argument(help="the agency code, as its tokens and people carry it")],
    name_zh: Annotated[str, typer.Option("--name-zh", help="机关全称")],
    uscc: Annotated[str, typer.Option(help="统一社会信用代码 (18 characters, check character verified)")],
    division: Annotated[str, typer.Option(help="6-digit 行政区划代码")],
    parent: Annotated[str | None, typer.Option(help="the agency that hosts this one (a city its counties)")] = None,
    address: Annotated[str | None, typer.Option(help="地址")] = None,
    phone: Annotated[str | None, typer.Option(help="电话")] = None,
    office_hours: Annotated[str | None, typer.Option("--office-hours", help="办公时间")] = None,
    review_body: Annotated[str | None, typer.Option("--review-body", help="复议机关")] = None,
    court: Annotated[str | None, typer.Option(help="the court that hears 行政诉讼 against the agency")] = None,
) -> None:
    """Create or update an agency's profile (audited, versioned); options left out keep their value, an empty one clears it."""
    from .agencies.schemas import AgencyOut
    from .agencies.service import AgencyRefused, set_agency

    given = {
        "name_zh": name_zh,
        "uscc": uscc,
        "division_code": division,
        "parent": parent,
        "address": address,
        "phone": phone,
        "office_hours": office_hours,
        "review_body": review_body,
        "court": court,
    }

    async def work(sessionmaker, store):
        async with sessionmaker.begin() as session:  # the command's own transaction
            profile = await set_agency(session, SYSTEM, code, {k: v for k, v in given.items() if v is not None})
            return AgencyOut.of(profile).model_dump(mode="json")

    try:
        profile = _run_with_store(work)
    except AgencyRefused as refused:
        if refused.code == "invalid-agency":  # field by field, as the options name them
            for error in refused.errors:
                typer.echo(f"--{OPTION_OF.get(error['field'], error['field'])}: {error['msg']}", err=True)
            typer.echo("nothing was changed", err=True)
        else:
            typer.echo(refused.detail, err=True)
        raise typer.Exit(1) from None
    except Problem as problem:
        typer.echo(problem.detail, err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(profile, ensure_ascii=False))
    err.print(f"[green]agency {code} is at version {profile['version']}[/green]")


@agency_app.command("list")
def agency_list() -> None:
    """Every agency profile as JSON."""
    from .agencies.schemas import AgencyOut
    from .agencies.service import list_agencies

    async def work(sessionmaker, store):
        async with sessionmaker() as session:
            return [AgencyOut.of(p).model_dump(mode="json") for p in await list_agencies(session)]

    typer.echo(json.dumps(_run_with_store(work), ensure_ascii=False))


@subjects_app.command("import")
def subjects_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a .csv (UTF-8 or GBK) or .xlsx sheet")],
    agency: Annotated[str, typer.Option(help="the agency whose 名录库 it is")],
) -> None:
    """Import the agency's 检查对象名录库 from a sheet as a new version (all rows or none, audited); its report as JSON."""
    from .inspections.schemas import SubjectVersionOut
    from .inspections.service import SubjectsRefused, import_subjects, read_subjects

    try:
        if agency == ALL_AGENCIES:
            raise ValueError("one agency's code: a 名录库 belongs to one agency, not '*'")
        validate_agency(agency, Role.admin)
    except ValueError as exc:
        err.print(f"[red]--agency: {exc}[/red]")
        raise typer.Exit(1) from None
    settings = Settings()
    data = file.read_bytes()
    if len(data) > settings.max_sheet_bytes:
        err.print(f"[red]a sheet is at most {settings.max_sheet_bytes} bytes (RECORDING_MAX_SHEET_BYTES)[/red]")
        raise typer.Exit(1)

    async def work(sessionmaker, store):
        subjects = await read_subjects(file.name, data, settings)
        async with sessionmaker.begin() as session:  # the command's own transaction: all rows or none
            version = await import_subjects(session, SYSTEM, agency, subjects, file.name)
            return SubjectVersionOut.of(version, settings.tz).model_dump(mode="json")

    try:
        report = _run_with_store(work)
    except SubjectsRefused as refused:
        for error in refused.errors[:500]:
            typer.echo(error["error_zh"], err=True)
        typer.echo(f"nothing was imported: {len(refused.errors)} problem(s)", err=True)
        raise typer.Exit(1) from None
    except Problem as problem:
        typer.echo(problem.extra.get("detail_zh") or problem.detail, err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(report, ensure_ascii=False))
    err.print(f"[green]{agency}: 名录库 version {report['version']}, {report['rows']} subjects[/green]")


@draws_app.command("verify")
def draws_verify(draw_id: Annotated[str, typer.Argument(help="the draw's id (GET /api/v1/draws/{id}, /public/draws/{id})")]) -> None:
    """Recompute a draw from its stored pool snapshot and seed (rs-draw-v1); a JSON report, exit 1 naming what differs."""
    from .inspections.service import verify_draw

    async def work(sessionmaker, store):
        async with sessionmaker() as session:
            return await verify_draw(session, draw_id)

    try:
        report = _run_with_store(work)
    except Problem as problem:
        typer.echo(problem.detail, err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(report.__dict__, ensure_ascii=False))
    if not report.ok:
        for difference in report.differences:
            err.print(f"[red]{difference}[/red]")
        raise typer.Exit(1)
    err.print(f"[green]draw {draw_id} recomputed: it matches[/green]")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit chain and check it against the checkpoints in the store; exit 1 when broken."""

    async def work(sessionmaker, store):
        async with sessionmaker() as session:
            return await verify_with_checkpoints(session, store)

    result = _run_with_store(work)
    typer.echo(json.dumps(result.__dict__))
    if not result.ok:
        err.print(f"[red]audit chain broken at seq {result.first_bad_seq}: {result.problem}[/red]")
        raise typer.Exit(1)
    err.print(f"[green]audit chain intact[/green]: {result.checked} events, head {result.head_seq} {result.head_hash}")


def _run_with_store(work):
    """Migrate, then run `work(sessionmaker, store)` against the configured database and store."""
    settings = Settings()
    upgrade(settings.database_url)

    async def run():
        from .app import store_for

        engine = create_engine(settings.database_url)
        sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        store = await store_for(settings, sessionmaker)
        try:
            return await work(sessionmaker, store)
        finally:
            await store.close()
            await engine.dispose()

    try:
        return asyncio.run(run())
    except StoreUnavailable as exc:
        # Never a verdict on the objects (a fixity run calling them missing): the run stopped, what it recorded stands.
        err.print(f"[red]stopped: the object store is unavailable ({exc}); run again once it is back[/red]")
        raise typer.Exit(3) from None


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Write the chain's head (seq, hash, time) to the object store, locked where the bucket allows."""
    settings = Settings()
    try:
        written = _run_with_store(lambda sessionmaker, store: write_checkpoint(sessionmaker, store, settings))
    except CheckpointRefused as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    typer.echo(json.dumps(written))
    err.print(f"[green]checkpoint written[/green]: seq {written['seq']} → {written['key']}")


@fixity_app.command("run")
def fixity_run(
    limit: Annotated[int | None, typer.Option(min=1, help="check at most N objects (least recently checked first)")] = None,
    older_than: Annotated[float | None, typer.Option(min=0, help="only objects not checked for DAYS days (or never)")] = None,
) -> None:
    """Re-read stored objects, recompute SHA-256, record each result; exit 1 when any is corrupt or missing."""
    summary = _run_with_store(lambda sessionmaker, store: run_fixity(sessionmaker, store, limit=limit, older_than_days=older_than))
    typer.echo(json.dumps(summary.__dict__, ensure_ascii=False))
    if summary.mismatch or summary.missing:
        err.print(f"[red]{summary.mismatch} corrupt, {summary.missing} missing of {summary.checked} checked[/red]")
        raise typer.Exit(1)
    err.print(f"[green]{summary.checked} objects checked, all intact[/green]")


@retention_app.command("sweep")
def retention_sweep(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what would be deleted or locked, change nothing")] = False,
) -> None:
    """Delete expired, unbound, unheld footage (tombstones, audit events); bring S3 object locks and legal holds in line."""
    settings = Settings()
    catalog = load_catalog(settings.catalog_dir)
    report = _run_with_store(lambda sessionmaker, store: sweep(sessionmaker, store, catalog, settings, dry_run=dry_run))
    typer.echo(json.dumps(report.__dict__, ensure_ascii=False))
    counts = (
        f"{len(report.deleted)} media past retention, "
        f"{len(report.locks_extended)} store locks, {len(report.holds_mirrored)} legal-hold changes"
    )
    err.print(f"would delete / extend / mirror: {counts}" if dry_run else f"deleted / extended / mirrored: {counts}")
    if report.store_locked:
        err.print(f"{len(report.store_locked)} media past retention are still locked by the store; a later sweep deletes them")


@app.command("export")
def export(
    case_id: Annotated[str, typer.Argument(help="the case's id")],
    out: Annotated[Path, typer.Option("--out", help="the zip file to write (not replaced if it exists)")],
) -> None:
    """Write a case file (BagIt bag in a zip, footage included) for offline review; audited as case.exported."""
    settings = Settings()
    catalog = load_catalog(settings.catalog_dir)
    if out.exists():
        err.print(f"[red]{out} exists; an export never replaces a file[/red]")
        raise typer.Exit(1)

    async def work(sessionmaker, store):
        async with sessionmaker.begin() as session:  # the command's own transaction
            case = await session.get(Case, case_id)
            if case is None:
                return None
            bag = await build_case_bag(session, catalog, settings, OPERATOR, case, load_signing_key(settings.signing_key_file))
            await record(session, SYSTEM, "case.exported", agency=case.agency, case_id=case.id, payload={**bag.summary, "file": str(out)})
        stream = bag.zip(store, asyncio.get_running_loop())
        partial = out.with_name(out.name + ".partial")

        def write() -> str:
            digest = hashlib.sha256()
            try:
                with open(partial, "xb") as handle:
                    for chunk in stream:
                        digest.update(chunk)
                        handle.write(chunk)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.link(partial, out)  # never replaces an existing file
            finally:
                partial.unlink(missing_ok=True)
            return digest.hexdigest()

        return {**bag.summary, "file": str(out), "zip_bytes": len(stream), "zip_sha256": await asyncio.to_thread(write)}

    try:
        summary = _run_with_store(work)
    except OSError as exc:
        err.print(f"[red]export failed: {exc}[/red]")
        raise typer.Exit(1) from None
    if summary is None:
        err.print(f"[red]no case {case_id}[/red]")
        raise typer.Exit(1)
    typer.echo(json.dumps(summary, ensure_ascii=False))
    err.print(f"[green]exported[/green] {summary['payload_files']} files, {summary['payload_bytes']} bytes → {out}")


def _trusted_key(key: str | None) -> bytes | None:
    """The public key a signed artefact (case file, share receipt) must verify against: --key, or on the server the
    service's own; None when neither is at hand (the caller decides whether self-consistency is enough)."""
    try:
        pinned = public_key_from(key) if key else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--key") from None
    if pinned is None and Settings().signing_key_file.is_file():
        pinned = load_signing_key(Settings().signing_key_file).public_raw  # on the server: its own key
    return pinned


@app.command("verify-export")
def verify_export_command(
    file: Annotated[Path, typer.Argument(help="an exported case file (.zip)")],
    key: Annotated[
        str | None,
        typer.Option(
            help="the service's public key (PEM file, PEM text or base64, from `keys show` "
            "or GET /api/v1/keys): the signature must be by this key"
        ),
    ] = None,
    allow_unpinned: Annotated[
        bool,
        typer.Option(
            "--allow-unpinned",
            help="accept a bag whose signature could be checked only against the key inside it (anyone can re-sign a forgery so)",
        ),
    ] = False,
) -> None:
    """Verify an exported case file offline (signature, BagIt checksums, footage against its records, audit hashes); exit 1 on any failure.

    The signature is checked against a trusted key: --key, or on the server the service's own. Without
    one it can only be checked against the key the bag carries, which proves nothing about where the
    bag came from: that is a failure too, unless --allow-unpinned accepts it."""
    pinned = _trusted_key(key)
    report = verify_export(file, pinned)
    if pinned is None and not allow_unpinned:
        report.fail(
            "signature not checked against a trusted key: the bag was signed by the key it carries itself, which "
            "anyone can replace; give the service's key (--key, from `keys show` or GET /api/v1/keys), or "
            "--allow-unpinned to accept a bag that is only self-consistent"
        )
    typer.echo(json.dumps(report.__dict__, ensure_ascii=False))
    if not report.ok:
        for failure in report.failures:
            err.print(f"[red]✗[/red] {failure}")
        raise typer.Exit(1)
    if not report.signature_key_pinned:
        err.print(
            "[yellow]self-consistent only: the signature was NOT checked against a trusted key (--allow-unpinned); "
            "nothing shows this bag came from the service[/yellow]"
        )
        err.print(
            f"case file self-consistent: {report.files_checked} files, {report.bytes_checked} bytes, "
            f"{report.audit_events_checked} audit events"
        )
        return
    err.print(
        f"[green]case file intact[/green], signed by the trusted key {report.signed_by}: {report.files_checked} files, "
        f"{report.bytes_checked} bytes, {report.audit_events_checked} audit events"
    )


@app.command("verify-receipt")
def verify_receipt_command(
    file: Annotated[Path, typer.Argument(help="a share's receipt (共享清单, share-receipt-….json)")],
    key: Annotated[
        str | None,
        typer.Option(
            help="the service's public key (PEM file, PEM text or base64, from `keys show` "
            "or GET /api/v1/keys): the receipt must be signed by this key"
        ),
    ] = None,
    allow_unpinned: Annotated[
        bool,
        typer.Option("--allow-unpinned", help="accept a receipt checked only against the key it carries (proves nothing of its origin)"),
    ] = False,
) -> None:
    """Verify a share's receipt offline: byte for byte as issued, and signed (Ed25519) by the service's key; exit 1 otherwise.

    As verify-export: the key is --key, or on the server the service's own; without one the signature can only be
    checked against the key the receipt carries, which is a failure unless --allow-unpinned accepts it."""
    from .shares.receipt import verify_receipt

    pinned = _trusted_key(key)
    report = verify_receipt(file, pinned)
    if pinned is None and not allow_unpinned:
        report.fail("signature not checked against a trusted key: give the service's key (--key), or --allow-unpinned")
    typer.echo(json.dumps(report.__dict__, ensure_ascii=False))
    if not report.ok:
        for failure in report.failures:
            err.print(f"[red]✗[/red] {failure}")
        raise typer.Exit(1)
    err.print(f"[green]receipt intact[/green], signed by key {report.signed_by}: share {report.share_id}, {report.files} files")


@keys_app.command("show")
def keys_show() -> None:
    """Print the public key that signs case files (PEM); its id and base64 form go to stderr."""
    key = load_signing_key(Settings().signing_key_file)
    err.print(f"key id {key.key_id} (Ed25519), base64 {key.describe()['public_key']}")
    typer.echo(key.public_pem.rstrip())


@uploads_app.command("sweep")
def uploads_sweep() -> None:
    """Finish uploads whose completion stopped, expire unfinished ones, remove objects no media record owns; exit 1 if any is left unresolved."""
    from .app import job_queue

    settings = Settings()

    async def work(sessionmaker, store):
        queue = job_queue(settings, sessionmaker, store)  # completions it finishes queue their probe jobs
        try:
            return await sweep_uploads(sessionmaker, store, settings, queue)
        finally:
            await queue.close()

    summary = _run_with_store(work)
    typer.echo(json.dumps(summary.__dict__, ensure_ascii=False))
    err.print(
        f"{summary.expired} expired uploads removed ({summary.bytes_released} bytes released), "
        f"{summary.completed} stopped completions finished, {summary.orphans_removed} orphan objects removed"
    )
    for item in summary.unsettled:
        err.print(f"[yellow]unresolved[/yellow] upload {item['upload_id']}: {item['problem']} {item['detail']}")
    if summary.unsettled:
        raise typer.Exit(1)


@uploads_app.command("close-idle-recordings")
def uploads_close_idle_recordings(
    idle_minutes: Annotated[
        float | None, typer.Option(help="idle this long (default RECORDING_RECORDING_IDLE_MINUTES); 0 closes every recording now")
    ] = None,
    upload: Annotated[
        list[str] | None, typer.Option(help="only this recording's upload id (repeatable): a camera known to be lost")
    ] = None,
) -> None:
    """Keep recordings streamed with a deferred length that stopped arriving as incomplete evidence (what the job workers do every minute); prints the upload ids closed."""
    from .app import job_queue

    settings = Settings()

    async def work(sessionmaker, store):
        queue = job_queue(settings, sessionmaker, store)  # the kept bytes are probed like any other
        try:
            return await close_idle_recordings(ingest_for(sessionmaker, store, settings, queue), idle_minutes, upload or ())
        finally:
            await queue.close()

    closed = _run_with_store(work)
    typer.echo(json.dumps({"closed": closed}))


if __name__ == "__main__":
    app()
