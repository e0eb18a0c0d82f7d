"""Application-scoped objects (settings, store) as FastAPI dependencies: plumbing, no domain."""

from typing import Annotated

from fastapi import Depends, Request

from .config import Settings
from .storage import ObjectStore


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> ObjectStore:
    return request.app.state.store


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[ObjectStore, Depends(get_store)]
