"""In-process events: one part of the service announces what happened, another acts on it, and neither
imports the other's code for it (plumbing: it knows no domain).

The announcing package defines the event (`media_bound = Event("cases.media_bound")`); a package above it
listens (`@media_bound.listen`) when it is imported, which the composition root (app.py) makes sure of.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from .db import after_commit

Listener = Callable[..., Awaitable[None]]


class Event:
    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> Listener:
        if listener not in self._listeners:  # an app built twice in one process must not act twice
            self._listeners.append(listener)
        return listener

    async def emit(self, **details: Any) -> None:
        for listener in self._listeners:
            await listener(**details)

    def emit_after_commit(self, session: AsyncSession, /, **details: Any) -> None:
        """Announce once `session`'s work has committed (listeners act on what the database holds)."""

        async def announce() -> None:
            await self.emit(**details)

        after_commit(session, announce)
