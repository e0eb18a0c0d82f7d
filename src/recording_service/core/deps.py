"""Application-scoped objects the composition root (app.py) builds once — settings, the store, the engine, the
secrets derived from the signing key — as FastAPI dependencies: plumbing, no domain."""

import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, ParamSpec, TypeVar

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from ..storage import ObjectStore
from .config import Settings

P = ParamSpec("P")
T = TypeVar("T")


def on_the_loop(function: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """A quick dependency (reading the app's state, parsing query parameters) as FastAPI should run it: on the event
    loop. A plain `def` dependency FastAPI runs in a worker thread, a hand-off there and back at every request that
    needs it (measured: one to four per PATCH). The signature FastAPI reads is `function`'s. Not for a generator
    (FastAPI would see through the wrapper and treat it as one); `app.dependency_overrides` keys the wrapper."""
    if inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function):
        raise TypeError(f"{function.__qualname__} is a generator: write it as an async generator instead")

    @functools.wraps(function)
    async def dependency(*args: P.args, **kwargs: P.kwargs) -> T:
        return function(*args, **kwargs)

    return dependency


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> ObjectStore:
    store: ObjectStore = request.app.state.store
    return store


SettingsDep = Annotated[Settings, Depends(on_the_loop(get_settings))]
StoreDep = Annotated[ObjectStore, Depends(on_the_loop(get_store))]


@dataclass(frozen=True)
class Secrets:
    """Keys derived from the one signing key, one per use, so a value signed for one use means nothing in another."""

    play_links: bytes
    login_forms: bytes
    public_forms: bytes  # the public side's forms (a complaint): signed like the sign-in form's, for this use only
    flash_messages: bytes


def get_engine(request: Request) -> AsyncEngine:
    """For the few statements that must not wait for the request's transaction (the shared throttles)."""
    engine: AsyncEngine = request.app.state.engine
    return engine


def get_secrets(request: Request) -> Secrets:
    secrets: Secrets = request.app.state.secrets
    return secrets


EngineDep = Annotated[AsyncEngine, Depends(on_the_loop(get_engine))]
SecretsDep = Annotated[Secrets, Depends(on_the_loop(get_secrets))]
