from datetime import datetime

from pydantic import BaseModel, Field

from .service import Grant, LiveState


class LiveOut(BaseModel):
    """Where a recording's live view stands."""

    upload_id: str
    status: str = Field(description="the upload's: `receiving` while the recording arrives")
    live: bool = Field(description="still receiving: the playlist has no EXT-X-ENDLIST yet")
    received_bytes: int
    media_id: str | None
    fragments: int = Field(description="complete fragments (moof+mdat) indexed so far")
    seconds: float = Field(description="their duration, from the track's timescale")
    playable: bool = Field(description="the init segment and at least one fragment are there, and nothing refuses a live view")
    problem: str | None = Field(description="why the recording cannot be shown live (a code), if it cannot")
    problem_zh: str | None

    @classmethod
    def of(cls, state: LiveState) -> "LiveOut":
        return cls(
            upload_id=state.upload_id,
            status=state.status,
            live=state.receiving,
            received_bytes=state.received,
            media_id=state.media_id,
            fragments=len(state.fragments),
            seconds=round(state.seconds, 3),
            playable=state.problem_code is None and state.init_end is not None and bool(state.fragments),
            problem=state.problem_code,
            problem_zh=state.problem,
        )


class LiveViewOut(BaseModel):
    """One audited view: the player's playlist, under a link signed for this viewer until `expires_at`."""

    grant_id: str
    upload_id: str
    playlist: str = Field(description="the HLS media playlist's path (its entries are relative to it); send the same token")
    expires_at: datetime

    @classmethod
    def of(cls, grant: Grant, base: str) -> "LiveViewOut":
        return cls(
            grant_id=grant.view.id, upload_id=grant.view.upload_id, playlist=f"{base}{grant.path}/index.m3u8", expires_at=grant.expires_at
        )
