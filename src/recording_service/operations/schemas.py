from typing import Literal

from pydantic import BaseModel, Field


class ReadyOut(BaseModel):
    """GET /readyz: 200 when every check passed, else 503 naming those that failed."""

    status: Literal["ready", "unavailable"]
    database: bool = Field(description="the database answers")
    store: bool = Field(description="the object store answers (a cheap call: HEAD on the bucket, the store's directory)")
    migrations: bool = Field(description="the database's schema is this code's (its Alembic revision is the code's head, or later)")
    draining: bool = Field(description="the process is shutting down after SIGTERM: uploads in flight finish, new ones go elsewhere")
    failed: list[str] = Field(description="the checks that failed: database, store, migrations, draining")
    detail: dict[str, str] = Field(default_factory=dict, description="why each failed check failed")
