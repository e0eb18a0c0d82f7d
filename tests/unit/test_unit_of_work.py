"""The request's unit of work (core/db.py), in process through the ASGI interface against a real SQLite file:
a route that returns has committed before its client hears the answer, a route that raises leaves nothing, a page
that answers a refused form discards its attempt, and after-commit actions run only after a commit that stood."""

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from recording_service.core.db import DbSession, after_commit, create_engine, discard
from recording_service.core.events import Event
from recording_service.core.problems import Problem, install_problem_handlers

from ..support import run_async


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(50), unique=True)


def build(tmp_path) -> tuple[FastAPI, list[str]]:
    engine = create_engine(f"sqlite:///{tmp_path / 'uow.db'}")
    app = FastAPI()
    install_problem_handlers(app)
    app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    app.state.engine = engine
    seen: list[str] = []
    noted = Event("test.noted")  # one per app: a listener of another test's app must not hear this one

    async def stored(text: str) -> bool:
        async with app.state.sessionmaker() as other:  # another connection: only committed rows are visible
            return (await other.execute(select(Note).where(Note.text == text))).scalar_one_or_none() is not None

    @app.post("/notes/{text}")
    async def add(text: str, session: DbSession) -> dict:
        session.add(Note(text=text))
        await session.flush()

        async def announce() -> None:
            seen.append(f"after {text}: stored={await stored(text)}")

        after_commit(session, announce)
        return {"text": text}

    @app.post("/refused/{text}")
    async def refused(text: str, session: DbSession) -> dict:
        session.add(Note(text=text))
        await session.flush()
        after_commit(session, lambda: _never(seen))
        raise Problem(409, "refused", "refused after a write")

    @app.post("/form/{text}")
    async def form(text: str, session: DbSession) -> dict:
        session.add(Note(text=text))
        await session.flush()
        after_commit(session, lambda: _never(seen))
        await discard(session)  # the page answers the refusal itself instead of raising
        return {"error": "shown on the page"}

    @app.post("/event/{text}")
    async def event(text: str, session: DbSession) -> dict:
        session.add(Note(text=text))
        await session.flush()
        noted.emit_after_commit(session, session=session, text=text)
        return {}

    @noted.listen
    async def listener(session: AsyncSession, text: str) -> None:
        seen.append(f"event {text}: stored={await stored(text)}")

    return app, seen


async def _never(seen: list[str]) -> None:
    seen.append("an after-commit action ran without a commit")


async def scenario(tmp_path) -> tuple[list[tuple[str, int]], list[str], list[str]]:
    app, seen = build(tmp_path)
    async with app.state.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    answers = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        for path in ("/notes/kept", "/refused/dropped", "/form/discarded", "/event/announced"):
            answers.append((path, (await client.post(path)).status_code))
    async with app.state.sessionmaker() as session:
        texts = sorted((await session.execute(select(Note.text))).scalars())
    await app.state.engine.dispose()
    return answers, seen, texts


def test_a_request_commits_once_when_its_route_returns_and_rolls_back_when_it_raises(tmp_path):
    answers, seen, texts = run_async(scenario(tmp_path))
    assert answers == [("/notes/kept", 200), ("/refused/dropped", 409), ("/form/discarded", 200), ("/event/announced", 200)]
    assert texts == ["announced", "kept"]  # nothing of the refused request, nothing of the discarded form
    # after-commit actions and events ran once the row was visible to another connection, and never without a commit
    assert seen == ["after kept: stored=True", "event announced: stored=True"]


@pytest.mark.parametrize("path", ["/refused/x", "/form/y"])
def test_nothing_waits_for_a_commit_that_did_not_happen(tmp_path, path):
    async def one():
        app, seen = build(tmp_path)
        async with app.state.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            await client.post(path)
            await client.post("/notes/later")  # the next request's commit must not run the refused one's actions
        await app.state.engine.dispose()
        return seen

    assert run_async(one()) == ["after later: stored=True"]
