"""Readiness checks and the database figures the metrics read at scrape time."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from ..core.drain import Drain
from ..core.migrate import Lineage, lineage_in_child
from ..storage import ObjectStore
from .schemas import ReadyOut

log = logging.getLogger(__name__)
CHECK_SECONDS = 2.0  # each check answers within this, or counts as failed (probes come every few seconds)
MIGRATIONS_CACHE_SECONDS = 30.0  # a current schema is looked at again after this long (a missing one at every probe)


def schema_state(revision: str | None, code: Lineage) -> tuple[bool, str]:
    """Whether a database at `revision` may be served by code with these migrations, and why not."""
    head = code.head
    if revision == head:
        return True, "current"
    if revision is None:
        return False, f"the database has no schema (code at {head}): run `recording-service migrate`"
    if revision not in code.known:
        # Unknown here: a later version's migration, run before this replica is replaced (a rolling upgrade runs the
        # migration first, then replaces the replicas). The older code keeps serving meanwhile.
        return True, f"ahead: the database is at {revision}, a later version's schema (code at {head})"
    if revision in code.line:
        return False, f"behind: the database is at {revision}, the code needs {head}: run `recording-service migrate`"
    return False, f"the database is at {revision}, not on this code's line ({head})"


@dataclass
class Readiness:
    engine: AsyncEngine
    store: ObjectStore
    drain: Drain
    _schema_ok_until: float = 0.0
    _lineage: "asyncio.Task[Lineage] | None" = field(default=None, repr=False)

    _store_ping: "asyncio.Task[None] | None" = field(default=None, repr=False)

    async def _database(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _store(self) -> None:
        # One ping at a time, however many probes ask: a slow store does not pile up threads.
        if self._store_ping is None or self._store_ping.done():
            self._store_ping = asyncio.ensure_future(self.store.ping())
        await asyncio.shield(self._store_ping)

    async def _migrations(self) -> None:
        if time.monotonic() < self._schema_ok_until:
            return
        async with self.engine.connect() as connection:
            try:
                revision = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            except Exception as exc:
                if "alembic_version" not in str(exc):
                    raise
                revision = None
        assert self._lineage is not None and self._lineage.done()  # check() waited for it
        ok, why = schema_state(revision, self._lineage.result())
        if not ok:
            raise RuntimeError(why)
        self._schema_ok_until = time.monotonic() + MIGRATIONS_CACHE_SECONDS

    async def _code_lineage(self) -> None:
        """The code's migrations, read once by a child process (the code does not change while it runs); waited for
        outside the checks' time limit, which is for what lies outside the process."""
        if self._lineage is None or (self._lineage.done() and self._lineage.exception() is not None):
            self._lineage = asyncio.ensure_future(lineage_in_child())
        await asyncio.wait([self._lineage])

    async def check(self) -> ReadyOut:
        await self._code_lineage()
        checks: dict[str, Callable[[], Awaitable[None]]] = {
            "database": self._database,
            "store": self._store,
            "migrations": self._migrations,
        }

        async def run(name: str, check: Callable[[], Awaitable[None]]) -> str | None:
            try:
                async with asyncio.timeout(CHECK_SECONDS):
                    await check()
            except TimeoutError:
                return f"no answer within {CHECK_SECONDS:g} s"
            except Exception as exc:
                return f"{type(exc).__name__}: {exc}"[:300]
            return None

        results = dict(zip(checks, await asyncio.gather(*(run(name, check) for name, check in checks.items())), strict=True))
        if results["database"] is not None and results["migrations"] is not None:
            results["migrations"] = "not checked: the database does not answer"
        detail = {name: why for name, why in results.items() if why is not None}
        if self.drain.draining:
            detail["draining"] = "shutting down: finishing the uploads in flight"
        return ReadyOut(
            status="unavailable" if detail else "ready",
            database=results["database"] is None,
            store=results["store"] is None,
            migrations=results["migrations"] is None,
            draining=self.drain.draining,
            failed=list(detail),
            detail=detail,
        )
