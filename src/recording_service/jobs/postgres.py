"""The PostgreSQL queue: procrastinate (its schema is applied by the service's migrations).

procrastinate claims jobs with SELECT … FOR UPDATE SKIP LOCKED, retries failed ones with backoff,
and records worker heartbeats; a job whose worker stopped sending them is handed back to the queue
here (it counts as an attempt) or, once its attempts are spent, marked failed."""

import asyncio
import logging
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Status
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from ..core.config import Settings
from .service import Periodic, Task, TaskContext, Work, run_periodic, start_alongside

log = logging.getLogger(__name__)


def libpq_url(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


# A job waits from when it was deferred, or from its schedule when it was deferred for later.
BACKLOG_SQL = """
SELECT j.task_name, count(*) AS waiting,
       COALESCE(EXTRACT(EPOCH FROM now() - min(COALESCE(j.scheduled_at, e.at)) FILTER (WHERE COALESCE(j.scheduled_at, e.at) <= now())), 0)
         AS oldest
  FROM procrastinate_jobs j
  LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'
 WHERE j.status = 'todo'
 GROUP BY j.task_name
"""


class ProcrastinateQueue:
    kind = "procrastinate"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        connector = procrastinate.PsycopgConnector(conninfo=libpq_url(settings.database_url), min_size=1, max_size=4)
        self.app = procrastinate.App(connector=connector)
        self.tasks: dict[str, Task] = {}
        self.periodic: list[Periodic] = []
        self.loops: list[Work] = []
        self._opened = False
        self._lock = asyncio.Lock()

    async def _open(self) -> None:
        async with self._lock:
            if not self._opened:
                await self.app.open_async()
                self._opened = True

    def register(self, task: Task) -> None:
        self.tasks[task.name] = task

        async def run(context: procrastinate.JobContext, /, **args: Any) -> None:
            await task.run(TaskContext(context.job.attempts + 1, task.max_attempts), **args)

        retry = procrastinate.RetryStrategy(max_attempts=task.max_attempts - 1, exponential_wait=task.backoff_base_seconds)
        self.app.task(name=task.name, pass_context=True, retry=retry)(run)

    def every(self, seconds: float, function: Work) -> None:
        self.periodic.append((function, seconds))

    def alongside(self, function: Work) -> None:
        self.loops.append(function)

    async def defer(self, task: str, *, lock: str | None = None, session: AsyncSession | None = None, **args: Any) -> None:
        # procrastinate writes through its own connection: a job for a row the caller has not committed
        # yet could run before the row exists, so callers defer after committing (the periodic
        # catch-up finds rows a crash left without their job).
        await self._open()
        try:
            await self.app.tasks[task].configure(queueing_lock=lock, lock=lock).defer_async(**args)
        except AlreadyEnqueued:
            pass

    async def _recover_stalled(self) -> None:
        manager = self.app.job_manager
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=self.settings.job_stalled_seconds):
            task = self.tasks.get(job.task_name)
            if task is not None and job.attempts + 1 >= task.max_attempts:
                await manager.finish_job(job, status=Status.FAILED, delete_job=False)
                log.error("job %s (%s) failed: its worker died on every attempt", job.id, job.task_name)
            else:
                try:
                    await manager.retry_job(job)
                except procrastinate.exceptions.UniqueViolation:
                    # A job of the same lock already waits (queued again by a catch-up): that one does the work;
                    # this one ends, which also frees the lock it held for the waiting one.
                    await manager.finish_job(job, status=Status.ABORTED, delete_job=False)
                    log.warning("job %s (%s) ended: its worker died and another job of its lock is waiting", job.id, job.task_name)
                    continue
                log.warning("job %s (%s) handed back: its worker stopped sending heartbeats", job.id, job.task_name)

    async def work(self) -> None:
        await self._open()
        work = [(lambda queue: self._recover_stalled(), self.settings.job_stalled_seconds / 2), *self.periodic]
        periodic = asyncio.create_task(run_periodic(self, work))
        loops = start_alongside(self, self.loops)
        heartbeat = max(1.0, self.settings.job_stalled_seconds / 4)
        try:
            await self.app.run_worker_async(
                concurrency=2,
                wait=True,
                install_signal_handlers=False,
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=self.settings.job_stalled_seconds,
                fetch_job_polling_interval=2.0,
                shutdown_graceful_timeout=5.0,
            )
        finally:
            for task in (periodic, *loops):
                task.cancel()
            await asyncio.gather(periodic, *loops, return_exceptions=True)

    async def dead_jobs(self, limit: int = 100) -> list[dict[str, Any]]:
        await self._open()
        rows = await self.app.connector.execute_query_all_async(
            "SELECT id, task_name, args, attempts FROM procrastinate_jobs WHERE status = 'failed' ORDER BY id DESC LIMIT %(limit)s",
            limit=limit,
        )
        return [{"id": row["id"], "task": row["task_name"], "args": row["args"], "attempts": row["attempts"]} for row in rows]

    async def backlog(self) -> dict[str, tuple[int, float]]:
        await self._open()
        rows = await self.app.connector.execute_query_all_async(BACKLOG_SQL)
        return {row["task_name"]: (int(row["waiting"]), float(row["oldest"])) for row in rows}

    async def close(self) -> None:
        if self._opened:
            await self.app.close_async()
            self._opened = False
