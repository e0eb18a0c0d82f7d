"""Application-scoped objects (settings, store) as FastAPI dependencies: plumbing, no domain."""

from typing import Annotated

from fastapi import Depends, Request

from ..storage import ObjectStore
from .config import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> ObjectStore:
    store: ObjectStore = request.app.state.store
    return store


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[ObjectStore, Depends(get_store)]
