"""The embedded (SQLite) job queue, in process against a real migrated SQLite database: retries with
backoff, a visibly dead job, one claim per job among competing workers, and the take-over of a job
whose worker stopped renewing its claim."""

import asyncio

from sqlalchemy.ext.asyncio import async_sessionmaker

from recording_service.core.config import Settings
from recording_service.core.db import create_engine
from recording_service.core.migrate import upgrade
from recording_service.jobs import Task
from recording_service.jobs.embedded import EmbeddedQueue

from ..support import run_async


def queue_on(tmp_path, **settings) -> tuple[EmbeddedQueue, object]:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    upgrade(url)
    engine = create_engine(url)
    return EmbeddedQueue(Settings(database_url=url, **settings), async_sessionmaker(engine, expire_on_commit=False)), engine


async def run_for(queues: list[EmbeddedQueue], seconds: float) -> None:
    workers = [asyncio.create_task(queue.work()) for queue in queues]
    await asyncio.sleep(seconds)
    for worker in workers:
        worker.cancel()
    await asyncio.gather(*workers, return_exceptions=True)


def test_a_failing_job_is_retried_then_dead(tmp_path):
    async def scenario():
        queue, engine = queue_on(tmp_path, job_stalled_seconds=5)
        attempts = []

        async def flaky(context, n):
            attempts.append(context.attempt)
            raise RuntimeError(f"store unreachable ({n})")

        queue.register(Task("test.flaky", flaky, max_attempts=3, backoff_base_seconds=1))
        await queue.defer("test.flaky", n=1)
        await run_for([queue], 5)
        dead = await queue.dead_jobs()
        await engine.dispose()
        return attempts, dead

    attempts, dead = run_async(scenario())
    assert attempts == [1, 2, 3]
    assert len(dead) == 1 and dead[0]["attempts"] == 3 and "store unreachable (1)" in dead[0]["error"]


def test_competing_workers_run_each_job_once_and_a_lock_queues_one(tmp_path):
    async def scenario():
        queue, engine = queue_on(tmp_path)
        rivals = [EmbeddedQueue(queue.settings, queue.sessionmaker) for _ in range(3)]
        runs: list[int] = []

        async def work(context, n):
            runs.append(n)
            await asyncio.sleep(0.05)

        for each in [queue, *rivals]:
            each.register(Task("test.work", work))
        for n in range(20):
            await queue.defer("test.work", n=n)
        await queue.defer("test.work", lock="only-one", n=100)
        await queue.defer("test.work", lock="only-one", n=101)  # a job with that lock is waiting: not queued
        await run_for([queue, *rivals], 4)
        await engine.dispose()
        return runs

    runs = run_async(scenario())
    assert sorted(runs) == [*range(20), 100]


def test_a_job_whose_worker_stopped_renewing_is_taken_over(tmp_path):
    async def scenario():
        queue, engine = queue_on(tmp_path, job_stalled_seconds=2)
        done = []

        async def work(context, n):
            done.append((context.attempt, n))

        queue.register(Task("test.work", work))
        await queue.defer("test.work", n=7)
        claimed = await queue._claim()  # a worker claims it and dies: its claim is never renewed
        assert claimed is not None
        await run_for([EmbeddedQueue(queue.settings, queue.sessionmaker)], 1)
        assert done == []  # the claim still stands
        rescuer = EmbeddedQueue(queue.settings, queue.sessionmaker)
        rescuer.register(Task("test.work", work))
        await run_for([rescuer], 3)
        await engine.dispose()
        return done

    assert run_async(scenario()) == [(2, 7)]
