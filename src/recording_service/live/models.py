"""The live index of a recording still arriving, and the grants to watch it (issue 29)."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id


class LiveIndex(Base):
    """Where the walk over an upload's boxes stands: the init segment (kept here, a few KB, so it never has to
    be read from the store again), the track's timescale, and where the last complete fragment ended. A
    derived cache: it can always be rebuilt from the bytes."""

    __tablename__ = "live_indexes"

    upload_id: Mapped[str] = mapped_column(String(32), ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)  # the next walk starts here
    fragment_count: Mapped[int] = mapped_column(Integer, default=0)
    init_end: Mapped[int | None] = mapped_column(BigInteger)
    init_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    track_id: Mapped[int | None] = mapped_column(Integer)
    timescale: Mapped[int | None] = mapped_column(Integer)
    default_duration: Mapped[int | None] = mapped_column(BigInteger)
    problem_code: Mapped[str | None] = mapped_column(String(64))  # set once: the recording cannot be shown live
    problem: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LiveFragment(Base):
    """One complete moof+mdat: bytes [start, end) of the upload, its decode time and duration in ticks."""

    __tablename__ = "live_fragments"

    upload_id: Mapped[str] = mapped_column(String(32), ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    decode_time: Mapped[int | None] = mapped_column(BigInteger)
    duration: Mapped[int] = mapped_column(BigInteger)


class LiveView(Base):
    """One person's (or token's) view of a recording: audited once (media.live_viewed); the player's requests
    then carry a link signed for this grant, checked without this row."""

    __tablename__ = "live_views"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    upload_id: Mapped[str] = mapped_column(String(32), ForeignKey("uploads.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[str | None] = mapped_column(String(32))
    viewer_id: Mapped[str] = mapped_column(String(32), index=True)  # a person's user id or a token's id
    agency: Mapped[str] = mapped_column(String(64), index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
