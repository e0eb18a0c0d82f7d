"""The service in the test's own process: the real app (`create_app`) with its lifespan run, a fresh SQLite
database and a filesystem store under the test's directory, spoken to over HTTP through httpx's ASGI
transport — no server, no port, no subprocess.

The app runs on an event loop of its own in a thread (an anyio blocking portal), so tests stay synchronous
and read exactly as the tests on the legs do: `service.client(service.token("reviewer", "A1"))` is an
`httpx.Client`. A fresh database costs a file copy: the migrations run once per session into a template.
An exception the app does not answer reaches the test as itself (a server would answer 500).

No background worker runs here (`run_worker=False`, the setting `serve --no-job-worker` sets): tests that need
probing, playback copies, webhook deliveries or the statistics' follower run on the legs.
"""

import re
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import anyio.from_thread
import httpx

from recording_service.app import create_app
from recording_service.core.config import Settings
from recording_service.core.migrate import upgrade

from .web import PASSWORD

# What the legs set (tests/conftest.py): every test speaks from one address, so the per-client budgets are out of reach.
LEG_SETTINGS = {
    "public_requests_per_minute": 100000,
    "public_network_requests_per_minute": 100000,
    "sign_in_requests_per_minute": 10000,
    "sign_in_first_delay_seconds": 300,
}
CLIENT_ADDRESS = ("127.0.0.1", 50000)  # as a client of a leg is seen
BASE_URL = "http://127.0.0.1"


class InProcessSettings(Settings):
    """The service's settings from what a test passes only: RECORDING_* variables of the shell running pytest are
    not read (a leg's service starts from an environment without them, tests/support/environment.py)."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **sources):
        return (init_settings,)


def migrated_template(directory: Path) -> Path:
    """A SQLite database at the latest schema, made once and copied for every test."""
    template = directory / "template.db"
    upgrade(f"sqlite:///{template}")
    for suffix in ("-wal", "-shm"):  # every connection is closed: the log is checkpointed into the file
        assert not Path(f"{template}{suffix}").exists() or Path(f"{template}{suffix}").stat().st_size == 0, suffix
    return template


class _PortalTransport(httpx.BaseTransport):
    """A synchronous transport that hands each request to httpx's ASGI transport on the app's event loop."""

    def __init__(self, portal: anyio.from_thread.BlockingPortal, app) -> None:
        self.portal = portal
        self.asgi = httpx.ASGITransport(app=app, client=CLIENT_ADDRESS)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()

        async def exchange() -> tuple[int, httpx.Headers, bytes]:
            sent = httpx.Request(request.method, request.url, headers=request.headers, content=content, extensions=request.extensions)
            response = await self.asgi.handle_async_request(sent)
            body = b"".join([chunk async for chunk in response.stream])  # as sent: the client decodes it
            return response.status_code, response.headers, body

        status, headers, body = self.portal.call(exchange)
        return httpx.Response(status, headers=headers, content=body, request=request)


class InProcessService:
    """The app with its own database and store; `client` and `token` as a leg's (tests/conftest.py `Leg`)."""

    def __init__(self, workdir: Path, template: Path, signing_key: Path, **settings) -> None:
        self.workdir = workdir
        database = workdir / "recording.db"
        workdir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, database)
        self.settings = InProcessSettings(
            database_url=f"sqlite:///{database}",
            storage_url=f"file://{workdir / 'objects'}",
            signing_key_file=signing_key,
            run_worker=False,
            **{**LEG_SETTINGS, **settings},
        )
        self.app = create_app(self.settings)
        self._tokens: dict[tuple[str, str], str] = {}
        self._stack = ExitStack()

    def start(self) -> "InProcessService":
        self.portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())
        # The lifespan as a server runs it: engine, store, queue and keys on app.state; closed by stop().
        self._stack.enter_context(self.portal.wrap_async_context_manager(self.app.router.lifespan_context(self.app)))
        return self

    def stop(self) -> None:
        self._stack.close()

    def client(self, token: str | None = None, **kwargs) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=BASE_URL, headers=headers, transport=_PortalTransport(self.portal, self.app), timeout=120, **kwargs)

    def token(self, role: str = "dock", agency: str = "A1", *, fresh: bool = False, name: str | None = None) -> str:
        """A token made by the code `token create` runs, in this database; reused per role and agency unless `fresh`."""
        from recording_service.cli import issue_token
        from recording_service.core.principals import Role

        if fresh or (role, agency) not in self._tokens:
            self._tokens[(role, agency)] = self.portal.call(issue_token, self.settings.database_url, Role(role), agency, name)[1]
        return self._tokens[(role, agency)]

    def run(self, work):
        """`await work(sessionmaker, store)` on the app's loop, with its sessions and store: what a CLI command does."""
        state = self.app.state

        async def call():
            return await work(state.sessionmaker, state.store)

        return self.portal.call(call)

    def create_person(self, username: str, role: str, agency: str, name: str, password: str) -> None:
        """What `user create` does (tests/support/web.py `create_person` runs the CLI on a leg)."""
        from recording_service.audit.service import SYSTEM
        from recording_service.auth.people import check_password, create_user
        from recording_service.core.db import commit
        from recording_service.core.principals import Role

        async def work(sessionmaker, store):
            async with sessionmaker() as session:
                await create_user(session, SYSTEM, username, Role(role), agency, name, check_password(password))
                await commit(session)

        self.run(work)

    def set_agency(self, code: str, fields: dict) -> dict:
        """What `agency set` does (tests/support/publishing.py `with_profile` runs the CLI on a leg)."""
        from recording_service.agencies.schemas import AgencyOut
        from recording_service.agencies.service import set_agency
        from recording_service.audit.service import SYSTEM
        from recording_service.core.db import commit

        async def work(sessionmaker, store):
            async with sessionmaker() as session:
                profile = await set_agency(session, SYSTEM, code, fields)
                await commit(session)
                return AgencyOut.of(profile).model_dump(mode="json")

        return self.run(work)


@contextmanager
def in_process(workdir: Path, template: Path, signing_key: Path, **settings) -> Iterator[InProcessService]:
    service = InProcessService(workdir, template, signing_key, **settings).start()
    try:
        yield service
    finally:
        service.stop()


def create_person(service: InProcessService, username: str, role: str, agency: str, name: str, password: str = PASSWORD) -> None:
    """tests/support/web.py `create_person`, in this process."""
    service.create_person(username, role, agency, name, password)


@contextmanager
def signed_in_client(service: InProcessService, username: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    """tests/support/web.py `signed_in_client`, in this process: the sign-in form as a browser submits it."""
    with service.client() as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        answer = client.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": "/cases"})
        assert answer.status_code == 303, answer.text[:300]
        yield client
