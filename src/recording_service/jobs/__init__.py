"""Durable background jobs: work that is not a request's own (probing footage now; playback copies,
webhook deliveries and scheduled sweeps next). Jobs survive crashes, are claimed so that N workers
on M hosts never run one twice at once, retry with backoff, and end visibly dead when they keep failing.

On PostgreSQL the queue is procrastinate's; on the embedded SQLite default it is a small table
worked by the service's own processes. Domains register their tasks; this package knows none of them.
May import: `core` only.
"""

from .service import JobQueue, Task, TaskContext, open_queue

__all__ = ["JobQueue", "Task", "TaskContext", "open_queue"]
