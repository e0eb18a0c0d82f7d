"""Expired, unfinished uploads: abort their S3 multipart uploads / remove their partial files."""

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..audit.service import SYSTEM, record
from ..db import utcnow
from ..ingest.models import Upload, UploadStatus
from ..ingest.service import upload_target
from ..storage import ObjectStore


@dataclass
class SweepSummary:
    expired: int = 0
    bytes_released: int = 0


async def sweep_uploads(sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore) -> SweepSummary:
    summary = SweepSummary()
    now = utcnow()
    async with sessionmaker() as session:
        ids = list((await session.execute(
            select(Upload.id).where(Upload.status == UploadStatus.receiving, Upload.expires_at < now,
                                    or_(Upload.lease_expires_at.is_(None), Upload.lease_expires_at < now))
        )).scalars())
    for upload_id in ids:
        async with sessionmaker() as session:
            upload = await session.get(Upload, upload_id)
            if upload.status != UploadStatus.receiving:
                continue
            await store.abort(upload_target(upload))
            upload.status, upload.completed_at = UploadStatus.expired, utcnow()
            await record(session, SYSTEM, "upload.expired", agency=upload.agency, upload_id=upload.id,
                         payload={"offset": upload.offset, "length": upload.length, "expired_at": upload.expires_at.isoformat()})
            await session.commit()
        summary.expired += 1
        summary.bytes_released += upload.offset
    return summary
