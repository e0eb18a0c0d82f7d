"""The embedded queue (SQLite): a job table claimed with a conditional UPDATE, so the processes of
`serve --workers N` and `worker` never run one job twice at once. A claim lasts
RECORDING_JOB_STALLED_SECONDS and is renewed while the job runs; a job whose worker died is claimed
again once its claim runs out."""

import asyncio
import logging
import os
import socket
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from ..core.config import Settings
from ..core.db import rowcount, utcnow
from ..core.ids import new_id
from .models import EmbeddedJob
from .service import Periodic, Task, TaskContext, Work, run_periodic, start_alongside

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0


class EmbeddedQueue:
    kind = "embedded"

    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.tasks: dict[str, Task] = {}
        self.periodic: list[Periodic] = []
        self.loops: list[Work] = []
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}"
        self._wake = asyncio.Event()

    def register(self, task: Task) -> None:
        self.tasks[task.name] = task

    def every(self, seconds: float, function: Work) -> None:
        self.periodic.append((function, seconds))

    def alongside(self, function: Work) -> None:
        self.loops.append(function)

    async def defer(self, task: str, *, lock: str | None = None, session: AsyncSession | None = None, **args: Any) -> None:
        if task not in self.tasks:
            raise KeyError(f"unknown task {task}")

        async def add(session: AsyncSession) -> bool:
            if lock is not None:
                waiting = await session.execute(
                    select(EmbeddedJob.id).where(EmbeddedJob.queueing_lock == lock, EmbeddedJob.status == "todo").limit(1)
                )
                if waiting.first() is not None:
                    return False
            session.add(EmbeddedJob(task=task, args=args, queueing_lock=lock, run_after=utcnow()))
            return True

        if session is not None:
            await add(session)
        else:
            async with self.sessionmaker() as own:
                if await add(own):
                    # the queue's own transaction: other workers decide by what it holds
                    await own.commit()
        self._wake.set()

    async def _claim(self) -> EmbeddedJob | None:
        stalled = self.settings.job_stalled_seconds
        async with self.sessionmaker() as session:
            now = utcnow()
            # Jobs of one lock run one at a time: none starts while another of its lock is being worked on.
            busy = aliased(EmbeddedJob)
            lock_free = EmbeddedJob.queueing_lock.is_(None) | ~exists().where(
                busy.queueing_lock == EmbeddedJob.queueing_lock,
                busy.status == "doing",
                busy.claimed_until >= now,
                busy.id != EmbeddedJob.id,
            )
            claimable = ((EmbeddedJob.status == "todo") & (EmbeddedJob.run_after <= now)) | (
                (EmbeddedJob.status == "doing") & (EmbeddedJob.claimed_until < now)
            )  # its worker died
            candidates = (
                (await session.execute(select(EmbeddedJob.id).where(claimable, lock_free).order_by(EmbeddedJob.id).limit(5)))
                .scalars()
                .all()
            )
            for job_id in candidates:
                result = await session.execute(
                    update(EmbeddedJob)
                    .where(EmbeddedJob.id == job_id, claimable, lock_free)
                    .values(
                        status="doing",
                        claimed_by=self.worker_id,
                        claimed_until=now + timedelta(seconds=stalled),
                        attempts=EmbeddedJob.attempts + 1,
                    )
                )
                if rowcount(result) == 1:
                    job = await session.get(EmbeddedJob, job_id)
                    # the queue's own transaction: other workers decide by what it holds
                    await session.commit()
                    return job
            # the queue's own transaction: other workers decide by what it holds
            await session.commit()
        return None

    async def _renew(self, job_id: int) -> None:
        interval = self.settings.job_stalled_seconds / 3
        while True:
            await asyncio.sleep(interval)
            async with self.sessionmaker() as session:
                await session.execute(
                    update(EmbeddedJob)
                    .where(EmbeddedJob.id == job_id, EmbeddedJob.claimed_by == self.worker_id)
                    .values(claimed_until=utcnow() + timedelta(seconds=self.settings.job_stalled_seconds))
                )
                # the queue's own transaction: other workers decide by what it holds
                await session.commit()

    async def _finish(self, job: EmbeddedJob, error: BaseException | None) -> None:
        task = self.tasks.get(job.task)
        values: dict[str, Any]
        if error is None:
            values = {"status": "succeeded", "finished_at": utcnow(), "last_error": None}
        elif task is not None and job.attempts < task.max_attempts:
            values = {
                "status": "todo",
                "run_after": utcnow() + timedelta(seconds=task.backoff_base_seconds**job.attempts),
                "last_error": _describe(error),
            }
        else:
            values = {"status": "failed", "finished_at": utcnow(), "last_error": _describe(error)}
        async with self.sessionmaker() as session:
            # Only while still ours: a claim that ran out belongs to whoever took the job over.
            await session.execute(
                update(EmbeddedJob)
                .where(EmbeddedJob.id == job.id, EmbeddedJob.claimed_by == self.worker_id)
                .values(claimed_by=None, claimed_until=None, **values)
            )
            # the queue's own transaction: other workers decide by what it holds
            await session.commit()
        if values["status"] == "failed":
            log.error("job %s (%s %s) failed after %d attempts: %s", job.id, job.task, job.args, job.attempts, values["last_error"])

    async def _run(self, job: EmbeddedJob) -> None:
        task = self.tasks.get(job.task)
        renew = asyncio.create_task(self._renew(job.id))
        error: BaseException | None = None
        try:
            if task is None:
                raise LookupError(f"no task named {job.task} in this version of the service")
            await task.run(TaskContext(job.attempts, task.max_attempts), **job.args)
        except asyncio.CancelledError:
            renew.cancel()
            raise  # shutting down: the claim runs out and another worker takes the job
        except Exception as exc:
            error = exc
            log.warning("job %s (%s) attempt %d failed: %s", job.id, job.task, job.attempts, exc)
        finally:
            renew.cancel()
        await self._finish(job, error)

    async def work(self) -> None:
        periodic = asyncio.create_task(run_periodic(self, self.periodic))
        loops = start_alongside(self, self.loops)
        try:
            while True:
                try:
                    job = await self._claim()
                except Exception:
                    log.exception("could not claim a job; retrying")
                    job = None
                    await asyncio.sleep(POLL_SECONDS * 5)
                if job is not None:
                    await self._run(job)
                    continue
                self._wake.clear()
                try:
                    async with asyncio.timeout(POLL_SECONDS):
                        await self._wake.wait()
                except TimeoutError:
                    pass
        finally:
            for task in (periodic, *loops):
                task.cancel()
            await asyncio.gather(periodic, *loops, return_exceptions=True)

    async def dead_jobs(self, limit: int = 100) -> list[dict[str, Any]]:
        async with self.sessionmaker() as session:
            rows = (
                (
                    await session.execute(
                        select(EmbeddedJob).where(EmbeddedJob.status == "failed").order_by(EmbeddedJob.finished_at.desc()).limit(limit)
                    )
                )
                .scalars()
                .all()
            )
        return [
            {
                "id": job.id,
                "task": job.task,
                "args": job.args,
                "attempts": job.attempts,
                "error": job.last_error,
                "finished_at": job.finished_at.isoformat() if job.finished_at else None,
            }
            for job in rows
        ]

    async def backlog(self) -> dict[str, tuple[int, float]]:
        now = utcnow()
        async with self.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(EmbeddedJob.task, func.count(), func.min(EmbeddedJob.run_after).filter(EmbeddedJob.run_after <= now))
                    .where(EmbeddedJob.status == "todo")
                    .group_by(EmbeddedJob.task)
                )
            ).all()
        return {task: (waiting, (now - oldest).total_seconds() if oldest else 0.0) for task, waiting, oldest in rows}

    async def close(self) -> None:
        return None


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]
