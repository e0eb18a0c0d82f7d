"""The job queue protocol, and the choice of backend by database."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..core.config import Settings

if TYPE_CHECKING:
    import asyncio


@dataclass(frozen=True)
class TaskContext:
    attempt: int  # 1 for the first run
    max_attempts: int

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts


@dataclass(frozen=True)
class Task:
    """A kind of job. `run(context, **args)` must be safe to run again for the same arguments: a job
    whose worker died is run again by another."""

    name: str
    run: Callable[..., Awaitable[None]]
    max_attempts: int = 5
    backoff_base_seconds: int = 2  # waits of 2, 4, 8, 16 … seconds between attempts


# Something every worker runs now and then (`every` seconds): catch-up work such as deferring jobs
# for rows a crash left without one.
Work = Callable[["JobQueue"], Awaitable[Any]]
Periodic = tuple[Work, float]


class JobQueue(Protocol):
    kind: str

    def register(self, task: Task) -> None: ...

    def every(self, seconds: float, function: Callable[["JobQueue"], Awaitable[Any]]) -> None: ...

    def alongside(self, function: Callable[["JobQueue"], Awaitable[Any]]) -> None:
        """A loop of its own that every worker runs beside its jobs and periodic work, in its own task, so
        that neither ever waits for the other (restarted after a failure, cancelled with the worker)."""

    async def defer(self, task: str, *, lock: str | None = None, session: AsyncSession | None = None, **args: Any) -> None:
        """Queue a job. With `session`, where the backend can, in that transaction (the caller commits).
        Jobs of one `lock`: at most one waits, and they run one at a time (a job handed back from a dead
        worker and one queued again by a catch-up never run side by side)."""

    async def work(self) -> None:
        """Run a worker until cancelled."""

    async def dead_jobs(self, limit: int = 100) -> list[dict[str, Any]]:
        """Jobs that failed every attempt, newest first."""

    async def backlog(self) -> dict[str, tuple[int, float]]:
        """Jobs waiting to run, by task: how many, and how long (seconds) the oldest that is due has waited."""

    async def close(self) -> None: ...


async def run_periodic(queue: "JobQueue", work: list[tuple[Callable[["JobQueue"], Awaitable[Any]], float]]) -> None:
    """Run each function every so many seconds, for as long as the worker runs; a failure waits for the next turn."""
    import asyncio
    import logging

    due = [0.0] * len(work)
    loop = asyncio.get_running_loop()
    while True:
        for index, (function, seconds) in enumerate(work):
            if loop.time() >= due[index]:
                due[index] = loop.time() + seconds
                try:
                    await function(queue)
                except Exception:
                    logging.getLogger(__name__).exception("periodic job work failed; it runs again later")
        await asyncio.sleep(1)


def open_queue(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> JobQueue:
    if make_url(settings.database_url).get_backend_name() == "postgresql":
        from .postgres import ProcrastinateQueue

        return ProcrastinateQueue(settings)
    from .embedded import EmbeddedQueue

    return EmbeddedQueue(settings, sessionmaker)


async def _keep_running(queue: "JobQueue", function: Callable[["JobQueue"], Awaitable[Any]]) -> None:
    import asyncio
    import logging

    while True:
        try:
            await function(queue)
            return
        except Exception:
            logging.getLogger(__name__).exception("a worker loop failed; it starts again in 5 s")
            await asyncio.sleep(5)


def start_alongside(queue: "JobQueue", loops: list[Work]) -> "list[asyncio.Task[None]]":
    """Each loop in its own task (the worker cancels them when it stops)."""
    import asyncio

    return [asyncio.create_task(_keep_running(queue, function)) for function in loops]
