"""Checkpoints: the chain's head written to the object store (locked where the bucket has S3 object
lock), so a database rewritten wholesale — every hash recomputed — is still caught against them."""

from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..core.config import Settings
from ..core.db import utcnow
from ..storage import ObjectStore
from .models import AuditHead
from .service import SYSTEM, Verification, record, verify_chain

PREFIX = "audit/checkpoints/"


class CheckpointRefused(Exception):
    pass


async def write_checkpoint(sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore, settings: Settings) -> dict[str, Any]:
    async with sessionmaker() as session:
        verdict = await verify_chain(session, await load_checkpoints(store))
        if not verdict.ok:
            raise CheckpointRefused(f"the chain is broken at seq {verdict.first_bad_seq} ({verdict.problem}); not checkpointing it")
        seq, head_hash = (await session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1))).one()
    now = utcnow()
    retain_until = now + timedelta(days=settings.audit_checkpoint_retention_days)
    body = {"seq": seq, "hash": head_hash, "at": now.isoformat(), "retain_until": retain_until.isoformat()}
    key = f"{PREFIX}{seq:012d}-{head_hash[:16]}.json"
    version = await store.put_record(key, orjson.dumps(body, option=orjson.OPT_SORT_KEYS), retain_until)
    async with sessionmaker.begin() as session:  # the CLI's and the schedule's own transaction: no request around it
        await record(session, SYSTEM, "audit.checkpoint", payload={**body, "key": key, "version_id": version})
    return {**body, "key": key, "version_id": version}


async def load_checkpoints(store: ObjectStore) -> list[dict[str, Any]]:
    checkpoints = []
    for key in await store.list_keys(PREFIX):
        raw = await store.read_bytes(key)
        if raw is not None:
            checkpoints.append({**orjson.loads(raw), "key": key})
    return checkpoints


async def verify_with_checkpoints(session: AsyncSession, store: ObjectStore) -> Verification:
    return await verify_chain(session, await load_checkpoints(store))
