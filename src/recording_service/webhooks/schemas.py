from datetime import datetime, tzinfo
from typing import Any

from pydantic import BaseModel, Field, HttpUrl

from ..core.times import local
from ..core.values import RequestModel
from .models import WebhookEndpoint


class WebhookCreate(RequestModel):
    url: HttpUrl = Field(description="where to POST the events (the publication platform's receiver)")
    events: list[str] = Field(
        min_length=1,
        max_length=10,
        description="publication.published, publication.annotated, "
        "publication.corrected, publication.performance_recorded, publication.withdrawn, "
        "publication.expired",
    )
    secret: str | None = Field(
        default=None, max_length=200, description="whsec_ + base64; made for you when left out (shown once, in this answer)"
    )


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    active: bool
    created_at: datetime
    secret: str | None = Field(default=None, description="only when the endpoint is created")

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, tz: tzinfo, secret: bool = False) -> "WebhookOut":
        """The endpoint; its signing secret only with `secret` (the answer to its registration)."""
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            events=endpoint.events,
            active=endpoint.active,
            created_at=local(endpoint.created_at, tz),
            secret=endpoint.secret if secret else None,
        )


class WebhookPage(BaseModel):
    items: list[WebhookOut]
    next_cursor: str | None = None


class DeliveryOut(BaseModel):
    id: str = Field(description="the webhook-id header (the same on every attempt and on a replay)")
    event: str
    status: str = Field(description="pending, delivered or failed (gave up after 10 attempts; replay it)")
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None = Field(
        description="the last attempt's outcome when it failed: unreachable, refused-address "
        "(not a public address), timeout or http-<status>"
    )
    log: list[dict[str, Any]] = Field(description="every attempt: at, status_code, error (as last_error; null when delivered), ms")
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = None
