"""The FastAPI application: routers, problem handlers and the resources that live as long as it does."""

import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]  # it ships no type information

from . import __version__
from .agencies.router import public_router as public_agencies_router
from .agencies.router import router as agencies_router
from .audit.router import router as audit_router
from .audit.service import REQUEST_CONTEXT, RequestContext
from .auth.service import authenticate
from .cases.router import documents_router, unlinked_router
from .cases.router import router as cases_router
from .cases.scan_router import router as document_scans_router
from .cases.service import media_bound_to, numbered_subjects
from .catalog.router import router as catalog_router
from .catalog.service import load_catalog
from .complaints.router import public_router as public_complaints_router
from .complaints.router import router as complaints_router
from .core.config import Settings
from .core.db import create_engine
from .core.deps import Secrets
from .core.drain import Drain, DrainGate
from .core.faults import fault_point
from .core.logs import REQUEST_ID as LOG_REQUEST_ID
from .core.messages import messages
from .core.metrics import Figures, Metrics, Observe
from .core.problems import Problem, document_problems, install_problem_handlers, logger, problem_response
from .core.redaction import install_secret_path_filter
from .core.runtime import tune_allocator
from .core.throttle import purge_throttles
from .core.values import plain_digits
from .custody.fixity import failing_media
from .custody.intake import ingest_for
from .custody.policy import RetentionPolicy
from .custody.router import router as holds_router
from .devices.router import router as devices_router
from .export.router import keys_router, public_keys_router
from .export.router import router as export_router
from .export.signing import load_signing_key
from .ingest.recordings import close_idle_recordings
from .ingest.router import media_upload_router
from .ingest.router import router as uploads_router
from .ingest.service import Ingest, any_upload
from .inspections.router import public_router as public_inspections_router
from .inspections.router import router as inspections_router
from .jobs import JobQueue, open_queue
from .lists.router import public_router as public_lists_router
from .live.router import router as live_router
from .media.copies import defer_pending_copies, playback_copy_task
from .media.image_copies import defer_pending_image_copies, image_copies_task
from .media.jobs import defer_unprobed, probe_task
from .media.router import router as media_router
from .media.usage import device_footage_count
from .officers.router import public_router as public_officers_router
from .officers.router import router as officers_router
from .operations.router import router as operations_router
from .operations.service import Readiness
from .publication.router import public_router as public_publications_router
from .publication.router import router as publications_router
from .publication.service import expire_publications
from .review.router import router as review_router
from .shares.router import router as shares_router
from .stats.filing import catch_up_periodically as catch_up_filings_periodically
from .stats.refresh import follow_periodically
from .stats.router import router as stats_router
from .stats.service import cases_by_problems
from .storage import ObjectStore, StoreUnavailable, open_store
from .timeline.router import router as timeline_router
from .web import install_pages
from .web.session import browser_principal
from .webhooks.router import router as webhooks_router
from .webhooks.service import backlog as webhook_backlog
from .webhooks.service import send_due_deliveries
from .window_staff.router import public_router as public_window_staff_router
from .window_staff.router import router as window_staff_router
from .workdays.router import router as calendar_router


class RequestContextMiddleware:
    """Gives every request an id (the client's X-Request-Id when sane) for the audit log and the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        supplied = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = supplied if REQUEST_ID.match(supplied) else uuid.uuid4().hex
        client = scope.get("client")
        token = REQUEST_CONTEXT.set(RequestContext(request_id, client[0] if client else None))
        log_token = LOG_REQUEST_ID.set(request_id)  # every log line written while it is served names it

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            return await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_CONTEXT.reset(token)
            LOG_REQUEST_ID.reset(log_token)


# Where people send sheets (CSV, XLSX): these bodies may reach RECORDING_MAX_SHEET_BYTES plus the form around it.
SHEET_IMPORT_PATHS = ("/api/v1/officers/import", "/officers/import")
SHEET_FORM_OVERHEAD = 64 * 1024


def carries_an_upload(scope: Scope) -> bool:
    path: str = scope["path"]
    return path.startswith("/api/v1/uploads") or (path.rstrip("/") == "/api/v1/media" and scope["method"] == "POST")


class BodyLimit:
    """Every body but an upload's is limited before authentication, routing or parsing: one whose
    declared Content-Length is past the limit is refused without reading it, and one without a length
    is counted as it arrives and refused once past it. Uploads are bounded by their own length; the
    POSTs to the paths in `larger` (sheets sent to an import) by their own limit."""

    def __init__(self, app: ASGIApp, limit: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.default_limit = limit
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or carries_an_upload(scope):
            return await self.app(scope, receive, send)
        limit = self.larger.get(scope["path"].rstrip("/"), self.default_limit) if scope["method"] == "POST" else self.default_limit
        too_large = Problem(413, "body-too-large", f"Request bodies are limited to {limit} bytes; nothing was kept.")
        declared = dict(scope.get("headers") or []).get(b"content-length", b"").decode("latin-1")
        if plain_digits(declared, 30) and int(declared) > limit:
            return await problem_response(too_large, Request(scope))(scope, receive, send)
        received, answered = 0, False

        async def counted() -> Message:
            nonlocal received, answered
            message = await receive()
            if message["type"] == "http.request" and not answered:
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now and end the body as if the client had gone: nothing more is read.
                    answered = True
                    await problem_response(too_large, Request(scope))(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not answered:  # once the 413 is out, the application's own answer goes nowhere
                await send(message)

        return await self.app(scope, counted, guarded_send)


class TusHeaders:
    """Every response under /api/v1/uploads carries Tus-Resumable, errors included (tus 1.0.0)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/v1/uploads"):
            return await self.app(scope, receive, send)

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"tus-resumable", b"1.0.0")]
            await send(message)

        return await self.app(scope, receive, send_with_header)


def job_queue(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore) -> JobQueue:
    """The job queue with every task the service runs (the one place that knows them all)."""
    queue = open_queue(settings, sessionmaker)
    queue.register(probe_task(sessionmaker, store, settings, queue))
    queue.register(playback_copy_task(sessionmaker, store, settings))
    queue.register(image_copies_task(sessionmaker, store))
    catch_up_after = min(30.0, settings.job_stalled_seconds / 2)
    queue.every(catch_up_after, defer_unprobed(sessionmaker, catch_up_after))
    queue.every(catch_up_after, defer_pending_copies(sessionmaker, max(catch_up_after, settings.job_stalled_seconds)))
    queue.every(catch_up_after, defer_pending_image_copies(sessionmaker, max(catch_up_after, settings.job_stalled_seconds)))
    # Recordings streamed with a deferred length that stopped arriving are kept as incomplete evidence (issue 29).
    queue.every(60, close_idle_recordings_periodically(ingest_for(sessionmaker, store, settings, queue)))
    queue.every(600, expire_publications(sessionmaker, settings.tz))  # public reads hide them at once; this records it
    queue.every(600, purge_throttles(sessionmaker))  # throttle rows that no longer mean anything
    queue.alongside(send_due_deliveries(sessionmaker, settings))  # its own loop: a slow receiver holds nothing else
    # The statistics follow the audit log: cases and footage days that changed are recomputed within seconds.
    queue.every(10, follow_periodically(sessionmaker, load_catalog(settings.catalog_dir), settings))
    queue.every(600, catch_up_filings_periodically(sessionmaker, settings))  # 关联率 of footage from before its figures existed
    return queue


def close_idle_recordings_periodically(ingest: Ingest) -> Callable[[JobQueue], Awaitable[None]]:
    async def run(queue: JobQueue) -> None:
        await close_idle_recordings(ingest)

    return run


async def run_worker(queue: JobQueue) -> None:
    while True:
        try:
            await queue.work()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("the job worker stopped; restarting it in 5 s")
            await asyncio.sleep(5)


# Paths whose next segment is a secret (a share's token): redacted in every log line (core/redaction.py).
SECRET_PATHS = ("/shared/",)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


async def store_for(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> ObjectStore:
    """The configured store. A filesystem store's directories are made only while the database holds no upload (a new
    deployment): once evidence was stored, a missing directory is a volume not mounted, and the store is unavailable
    (503, /readyz failing) rather than made afresh on the wrong disk."""
    async with sessionmaker() as session:
        new_deployment = not await any_upload(session)
    return open_store(settings, create=new_deployment, fault_point=fault_point)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    tune_allocator()
    catalog = load_catalog(settings.catalog_dir)  # validated now: a bad catalog stops the service before it serves
    messages()  # the message catalogue (pages, sheets, problems, the audit trail's words), validated now as the catalog is
    load_signing_key(settings.signing_key_file)  # created (or found unreadable) at start, not at the first export
    install_secret_path_filter(SECRET_PATHS)  # share links (/shared/<token>) never reach a log
    drain = Drain(settings.drain_seconds)  # begun by the server on SIGTERM (core/drain.py)
    metrics = Metrics()  # this process's own registry

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        app.state.settings = settings
        app.state.catalog = catalog
        app.state.engine = engine
        app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        app.state.store = await store_for(settings, app.state.sessionmaker)
        app.state.queue = job_queue(settings, app.state.sessionmaker, app.state.store)
        app.state.authenticate = authenticate  # how `principals.current_principal` checks a bearer token
        app.state.authenticate_browser = browser_principal  # the tus endpoint's session-cookie uploads (the pages' form)
        app.state.media_bound_to = media_bound_to  # the media list's ?case_id= filter, from cases
        app.state.cases_by_problems = cases_by_problems  # the case list's ?has_problems= filter, from the statistics
        app.state.retention_rule = RetentionPolicy  # when footage bound to no case is swept: for its list, from custody
        app.state.numbered_subjects = numbered_subjects  # the audit events' ?object= filter: a case number's case and footage
        app.state.device_footage_count = device_footage_count  # the device register's return check, from media
        app.state.ingest = ingest_for(app.state.sessionmaker, app.state.store, settings, app.state.queue)
        signing_key = load_signing_key(settings.signing_key_file)
        app.state.secrets = Secrets(
            play_links=signing_key.derived_secret("play-links"),
            login_forms=signing_key.derived_secret("login-forms"),
            public_forms=signing_key.derived_secret("public-forms"),
            flash_messages=signing_key.derived_secret("flash-messages"),
        )
        app.state.readiness = Readiness(engine, app.state.store, drain)
        metrics.readers = [_job_figures(app.state.queue), _database_figures(app.state.sessionmaker)]
        worker = asyncio.create_task(run_worker(app.state.queue)) if settings.run_worker else None
        logging.getLogger("uvicorn.error").info(
            "recording-service %s: database %s, store %s (%s), jobs %s%s, case files signed with the key in %s",
            __version__,
            make_url(settings.database_url).render_as_string(hide_password=True),
            settings.storage_url,
            app.state.store.kind,
            app.state.queue.kind,
            "" if settings.run_worker else " (no worker in this process)",
            settings.signing_key_file,
        )
        try:
            yield
        finally:
            if worker is not None:
                worker.cancel()
                await asyncio.gather(worker, return_exceptions=True)
            await app.state.queue.close()
            await app.state.store.close()
            await engine.dispose()

    app = FastAPI(
        docs_url=None,  # served below from local assets: no CDN on a government network
        redoc_url=None,
        title="recording_service",
        version=__version__,
        summary="执法全过程记录: verified evidence uploads, case records and chain of custody",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.drain = drain
    app.state.metrics = metrics
    install_problem_handlers(app)

    @app.exception_handler(StoreUnavailable)
    async def _store_down(request: Request, exc: StoreUnavailable) -> Response:
        return problem_response(
            Problem(503, "store-unavailable", "The object store cannot be reached; retry later.", headers={"Retry-After": "5"}), request
        )

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> Response:
        # e.g. a NUL character, which PostgreSQL text cannot hold: the input's fault, nothing was stored.
        return problem_response(
            Problem(400, "invalid-data", "A value cannot be stored as sent (for example it contains a NUL character)."), request
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def _database_down(request: Request, exc: DBAPIError) -> Response:
        if isinstance(exc, DBAPIError) and not exc.connection_invalidated and not isinstance(exc, OperationalError):
            raise exc
        return problem_response(
            Problem(
                503,
                "database-unavailable",
                "The database cannot be reached; nothing was changed, retry later.",
                headers={"Retry-After": "5"},
            ),
            request,
        )

    @app.get("/healthz", tags=["health"], summary="Liveness and database reachability (no token needed)")
    async def healthz(request: Request) -> JSONResponse:
        try:
            async with request.app.state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "unavailable", "database": False}, status_code=503)
        return JSONResponse({"status": "ok", "database": True, "store": request.app.state.store.kind})

    app.mount("/docs/assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="recording_service — API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
        )

    app.include_router(operations_router)
    app.include_router(uploads_router)
    app.include_router(catalog_router)
    app.include_router(cases_router)
    app.include_router(documents_router)
    app.include_router(document_scans_router)
    app.include_router(timeline_router)
    app.include_router(export_router)
    app.include_router(keys_router)
    app.include_router(public_keys_router)
    app.include_router(audit_router)
    app.include_router(holds_router)
    app.include_router(media_upload_router)
    app.include_router(unlinked_router)  # before the media router: /api/v1/media/{media_id} must not take "unlinked"
    app.include_router(media_router)
    app.include_router(live_router)  # issue 29: watching a recording while it arrives
    app.include_router(calendar_router)
    app.include_router(review_router)
    app.include_router(publications_router)
    app.include_router(public_publications_router)
    app.include_router(webhooks_router)
    app.include_router(officers_router)
    app.include_router(public_officers_router)
    app.include_router(public_lists_router)
    app.include_router(stats_router)
    app.include_router(agencies_router)
    app.include_router(public_agencies_router)
    app.include_router(complaints_router)
    app.include_router(public_complaints_router)
    app.include_router(window_staff_router)
    app.include_router(public_window_staff_router)
    app.include_router(inspections_router)
    app.include_router(public_inspections_router)
    app.include_router(devices_router)
    app.include_router(shares_router)
    install_pages(app)  # after the API's routes and handlers: it answers a page's errors as pages

    def openapi_with_problems() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(
                get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            )
        return app.openapi_schema

    app.openapi = openapi_with_problems  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema
    app.add_middleware(DrainGate, drain=drain, carries_upload=carries_an_upload)  # its refusals are tus answers too
    app.add_middleware(TusHeaders)
    sheet_body = settings.max_sheet_bytes + SHEET_FORM_OVERHEAD  # the file and the form around it
    app.add_middleware(
        BodyLimit,
        limit=settings.max_json_body_bytes,
        larger={path: max(sheet_body, settings.max_json_body_bytes) for path in SHEET_IMPORT_PATHS},
    )
    app.add_middleware(Observe, metrics=metrics, carries_upload=carries_an_upload, access_lines=settings.log_format == "json")
    app.add_middleware(RequestContextMiddleware)
    return app


def _job_figures(queue: JobQueue) -> Callable[[Figures], Awaitable[None]]:
    async def read(figures: Figures) -> None:
        figures.jobs = await queue.backlog()

    return read


def _database_figures(sessionmaker: async_sessionmaker[AsyncSession]) -> Callable[[Figures], Awaitable[None]]:
    async def read(figures: Figures) -> None:
        async with sessionmaker() as session:
            figures.webhook_pending, figures.webhook_oldest_seconds = await webhook_backlog(session)
            figures.fixity_failing = await failing_media(session)

    return read
