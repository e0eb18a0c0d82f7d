"""Application-scoped objects (settings, store, ingest context) as FastAPI dependencies."""

from typing import Annotated

from fastapi import Depends, Request

from .config import Settings
from .custody.intake import ingest_for
from .ingest.service import Ingest
from .storage import ObjectStore


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> ObjectStore:
    return request.app.state.store


def get_ingest(request: Request) -> Ingest:
    state = request.app.state
    return ingest_for(state.sessionmaker, state.store, state.settings, state.queue)


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[ObjectStore, Depends(get_store)]
IngestDep = Annotated[Ingest, Depends(get_ingest)]
