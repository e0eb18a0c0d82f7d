"""Shares outside the agency: made, listed and revoked by the agency; opened by their recipient by token.

The token is 32 random bytes (256 bits) in URL-safe base64, stored only as its SHA-256, so a database dump
opens no share; it is answered once, when the share is made. An access code (8 digits) is stored only as an
HMAC-SHA256 under a key derived from the signing key, which lives outside the database; wrong codes are
throttled per share and per client address (core/throttle.py) and answered alike.

Auditing what the recipient does (decided here, documented in docs/api.md): a person watching a video makes
dozens of range requests, and a download may be resumed. Each use is therefore audited once per
`ACCESS_WINDOW` per share, kind (viewed, played, downloaded), file and client address: the first request of
that window writes the audit event (`share.viewed`, `share.media.played`, `share.media.downloaded`, with the
share id, the media id and, for a download, the byte range first asked and the file's size) and a row the
share's counts read; the further ranges of the same play or download inside the window are not written
again. Every receipt issued is audited (`share.receipt.issued`).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ..audit.service import REQUEST_CONTEXT, Actor, record
from ..cases.models import Case
from ..cases.service import shareable_material
from ..catalog.schemas import Catalog
from ..core.db import utcnow
from ..core.messages import problem_text
from ..core.pagination import keyset, page_of
from ..core.principals import ALL_AGENCIES, Principal
from ..core.problems import Problem
from ..core.throttle import claim_once
from ..export.signing import load_signing_key
from ..media.models import Media
from ..media.service import media_of_agency
from .models import Share, ShareAccess, SharedFile
from .receipt import signed_receipt, statement_of
from .schemas import MAX_DAYS, ShareCounts, ShareCreate, SharedFileOut, ShareStatus

TOKEN_BYTES = 32  # 256 random bits
CODE_DIGITS = 8
ACCESS_WINDOW = 30 * 60.0  # seconds: one audited use per share, kind, file and client address in this window
MIN_LEAD = timedelta(minutes=1)  # a share must run at least this long


def now() -> datetime:
    """The shares' clock (tests of expiry move it; nothing else does)."""
    return utcnow()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def code_digest(key: bytes, share_id: str, code: str) -> str:
    return hmac.new(key, f"share-code:v1:{share_id}:{code}".encode(), hashlib.sha256).hexdigest()


def status_of(share: Share, at: datetime | None = None) -> ShareStatus:
    if share.revoked_at is not None:
        return "revoked"
    if share.expires_at <= (at or now()):
        return "expired"
    return "active"


def _not_found() -> Problem:
    return Problem(404, "share-not-found", "No such share.", detail_zh=problem_text("share-not-found"))


def _agency_of(principal: Principal, case: Case) -> str:
    if principal.agency not in (case.agency, ALL_AGENCIES):
        raise _not_found()
    return case.agency


@dataclass(frozen=True)
class Made:
    share: Share
    files: list[SharedFile]
    token: str
    access_code: str | None


async def create_share(
    session: AsyncSession, catalog: Catalog, principal: Principal, case: Case, body: ShareCreate, code_key: bytes
) -> Made:
    """A share of the case (the caller has checked the principal sees it): its files and summary as they are now."""
    agency = _agency_of(principal, case)
    expires_at = body.expires_at
    if expires_at.tzinfo is None:
        raise Problem(400, "invalid-time", "expires_at needs a UTC offset, e.g. 2026-11-24T09:00:00+08:00.", field="expires_at")
    moment = now()
    if expires_at < moment + MIN_LEAD:
        raise Problem(
            422,
            "share-expiry-past",
            "expires_at must lie in the future (at least a minute ahead).",
            detail_zh=problem_text("share-expiry-past"),
        )
    if expires_at > moment + timedelta(days=MAX_DAYS):
        raise Problem(
            422,
            "share-expiry-too-far",
            f"expires_at may lie at most {MAX_DAYS} days ahead; share again when that runs out.",
            detail_zh=problem_text("share-expiry-too-far"),
        )
    material = await shareable_material(session, case.id)
    stage_of_media = {media_id: stage_id for media_id, stage_id in material["media"]}
    attachments = {d["attachment_media_id"]: d for d in material["documents"] if d["attachment_media_id"]}
    offered = list(dict.fromkeys([*stage_of_media, *attachments]))  # bound footage first, then documents' attachments
    if body.media_ids is None:
        chosen = offered
    else:
        outside = [m for m in body.media_ids if m not in offered]
        if outside:
            raise Problem(
                422,
                "share-media-not-in-case",
                f"Not footage or a document attachment of this case: {', '.join(outside[:5])}.",
                detail_zh=problem_text("share-media-not-in-case"),
                field="media_ids",
            )
        chosen = body.media_ids
    records = await media_of_agency(session, agency, chosen)
    # Deleted footage and footage without a stored object of its own (still recording, or merged: issue 29) are not shared.
    chosen = [m for m in chosen if m in records and records[m].status != "deleted" and records[m].sha256 is not None]
    if not chosen:
        raise Problem(
            422,
            "share-nothing-to-share",
            "The case has no footage or attachments to share.",
            detail_zh=problem_text("share-nothing-to-share"),
        )
    procedure = catalog.procedure(case.procedure)
    stage_names = {s["id"]: _stage_name(procedure, s["stage"]) for s in material["stages"]}
    doc_names = {d.code: d.name_zh for d in catalog.document_types}

    token = secrets.token_urlsafe(TOKEN_BYTES)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}" if body.access_code else None
    share = Share(
        agency=agency,
        case_id=case.id,
        token_sha256=token_digest(token),
        recipient=body.recipient,
        organisation=body.organisation,
        recipient_kind=body.recipient_kind,
        purpose=body.purpose,
        permission=body.permission,
        whole_case=body.media_ids is None,
        summary=_summary(case, material, stage_names, doc_names, whole=body.media_ids is None, shared=set(chosen)),
        expires_at=expires_at,
        created_at=moment,
        created_by=principal.name,
        created_by_id=principal.id,
    )
    session.add(share)
    await session.flush()
    if code is not None:
        share.access_code_hmac = code_digest(code_key, share.id, code)
    files = []
    for position, media_id in enumerate(chosen):
        media = records[media_id]
        document = attachments.get(media_id)
        where = stage_names.get(stage_of_media.get(media_id, ""))
        if where is None and document is not None:
            where = doc_names.get(document["doc_type"], document["doc_type"])
        files.append(
            SharedFile(
                share_id=share.id,
                media_id=media.id,
                position=position,
                sha256=media.sha256,
                size=media.size,
                filename=media.filename,
                kind=media.kind,
                stage=where,
                recorded_started_at=media.recorded_started_at,
                duration_s=media.duration_s,
            )
        )
    session.add_all(files)
    await session.flush()
    await record(
        session,
        principal,
        "share.created",
        agency=agency,
        case_id=case.id,
        payload={
            "share_id": share.id,
            "recipient": share.recipient,
            "organisation": share.organisation,
            "recipient_kind": share.recipient_kind,
            "purpose": share.purpose,
            "permission": share.permission,
            "expires_at": share.expires_at.isoformat(),
            "access_code": code is not None,
            "files": [{"media_id": f.media_id, "sha256": f.sha256, "size": f.size} for f in files],
        },
    )
    return Made(share, files, token, code)


def _stage_name(procedure: Any, code: str) -> str:
    stage = procedure.stage(code) if procedure is not None else None
    return stage.name_zh if stage is not None else code


def _summary(
    case: Case, material: Any, stage_names: dict[str, str], doc_names: dict[str, str], *, whole: bool, shared: set[str]
) -> dict[str, Any]:
    """What the recipient reads beside the files. A whole-case share: the stages and the documents list; chosen footage:
    only the documents whose attachment is shared."""
    documents = [
        {
            "doc_type": doc_names.get(d["doc_type"], d["doc_type"]),
            "doc_number": d["doc_number"],
            "title": d["title"],
            "issued_at": d["issued_at"].isoformat() if d["issued_at"] else None,
            "attachment_media_id": d["attachment_media_id"] if d["attachment_media_id"] in shared else None,
        }
        for d in material["documents"]
        if whole or d["attachment_media_id"] in shared
    ]
    stages = [
        {
            "name": stage_names.get(s["id"], s["stage"]),
            "status": s["status"],
            "started_at": s["started_at"].isoformat() if s["started_at"] else None,
            "ended_at": s["ended_at"].isoformat() if s["ended_at"] else None,
        }
        for s in material["stages"]
        if whole
    ]
    return {"case_number": case.case_number, "title": case.title, "stages": stages, "documents": documents}


def visible_shares(principal: Principal, case_id: str) -> Select[Share]:
    query = select(Share).where(Share.case_id == case_id)
    if principal.agency != ALL_AGENCIES:
        query = query.where(Share.agency == principal.agency)
    return query


async def shares_page(
    session: AsyncSession, principal: Principal, case_id: str, cursor: str | None, limit: int
) -> tuple[list[Share], str | None]:
    keys = [Share.created_at, Share.id]
    rows = (await session.execute(keyset(visible_shares(principal, case_id), keys, cursor, limit, descending=True))).scalars().all()
    return page_of(list(rows), ["created_at", "id"], limit)


async def get_share(session: AsyncSession, principal: Principal, share_id: str) -> Share:
    query = select(Share).where(Share.id == share_id[:64])
    if principal.agency != ALL_AGENCIES:
        query = query.where(Share.agency == principal.agency)
    share = (await session.execute(query)).scalar_one_or_none()
    if share is None:
        raise _not_found()
    return share


async def files_of(session: AsyncSession, share_ids: list[str]) -> dict[str, list[SharedFile]]:
    found: dict[str, list[SharedFile]] = {share_id: [] for share_id in share_ids}
    if share_ids:
        query = select(SharedFile).where(SharedFile.share_id.in_(share_ids)).order_by(SharedFile.share_id, SharedFile.position)
        for row in (await session.execute(query)).scalars():
            found[row.share_id].append(row)
    return found


async def counts_of(session: AsyncSession, share_ids: list[str]) -> dict[str, ShareCounts]:
    counts = {share_id: ShareCounts() for share_id in share_ids}
    if share_ids:
        query = (
            select(ShareAccess.share_id, ShareAccess.kind, func.count())
            .where(ShareAccess.share_id.in_(share_ids))
            .group_by(ShareAccess.share_id, ShareAccess.kind)
        )
        for share_id, kind, count in (await session.execute(query)).all():
            if kind in ShareCounts.model_fields:
                setattr(counts[share_id], kind, count)
    return counts


def file_out(row: SharedFile) -> SharedFileOut:
    return SharedFileOut(media_id=row.media_id, filename=row.filename, sha256=row.sha256, size=row.size, kind=row.kind, stage=row.stage)


async def revoke_share(session: AsyncSession, principal: Principal, share: Share, reason: str) -> None:
    if share.revoked_at is not None:
        raise Problem(409, "share-revoked", "The share was revoked already.", detail_zh=problem_text("share-revoked"))
    share.revoked_at = now()
    share.revoked_by = principal.name
    share.revoke_reason = reason
    await session.flush()
    await record(
        session,
        principal,
        "share.revoked",
        agency=share.agency,
        case_id=share.case_id,
        payload={"share_id": share.id, "recipient": share.recipient, "organisation": share.organisation, "reason": reason},
    )


# --- the recipient's side ---------------------------------------------------------------------------------


async def share_by_token(session: AsyncSession, token: str) -> Share | None:
    """The share the token opens (whatever its status), or None. Looked up by the token's digest: the token is
    never stored, compared or logged as itself."""
    if not 20 <= len(token) <= 100:
        return None
    return (await session.execute(select(Share).where(Share.token_sha256 == token_digest(token)))).scalar_one_or_none()


def code_matches(share: Share, key: bytes, code: str) -> bool:
    if share.access_code_hmac is None:
        return True
    return hmac.compare_digest(share.access_code_hmac, code_digest(key, share.id, code.strip()[:20]))


def recipient_actor(share: Share) -> Actor:
    """Who the audit trail names for the recipient's uses: the share's recipient, by the link (no account)."""
    context = REQUEST_CONTEXT.get()
    return Actor(
        token_id=None,
        role="share",
        agency=share.agency,
        request_id=context.request_id,
        client_address=context.client_address,
        name=f"{share.recipient}（{share.organisation}，对外共享 {share.id}）"[:200],
    )


async def note_use(
    session: AsyncSession,
    engine: AsyncEngine,
    share: Share,
    kind: str,
    *,
    media_id: str | None = None,
    byte_range: str | None = None,
    size: int | None = None,
    every_time: bool = False,
) -> bool:
    """Audit a use by the recipient, once per ACCESS_WINDOW per share, kind, file and client address (unless
    `every_time`). True when this request wrote the event."""
    address = (REQUEST_CONTEXT.get().client_address or "unknown")[:80]
    if not every_time and not await claim_once(engine, f"share-use:{kind}:{share.id}:{media_id or '-'}:{address}", ACCESS_WINDOW):
        return False
    session.add(ShareAccess(share_id=share.id, kind=kind, media_id=media_id, byte_range=byte_range, client_address=address, at=utcnow()))
    payload: dict[str, Any] = {"share_id": share.id, "recipient": share.recipient, "organisation": share.organisation}
    if media_id is not None:
        payload["media_id"] = media_id
    if kind == "downloaded":
        payload.update(range=byte_range or "bytes=0-", size=size)
    action = (
        "share.viewed"
        if kind == "viewed"
        else "share.media.played"
        if kind == "played"
        else "share.media.downloaded"
        if kind == "downloaded"
        else "share.receipt.issued"
    )
    await record(session, recipient_actor(share), action, agency=share.agency, case_id=share.case_id, media_id=media_id, payload=payload)
    return True


async def shared_media(session: AsyncSession, share: Share, media_id: str) -> Media | None:
    """The media record of a file of this share, or None: any other id (another case's footage, another share's,
    a made-up one) is not there, whatever it names."""
    listed = (
        await session.execute(select(SharedFile.media_id).where(SharedFile.share_id == share.id, SharedFile.media_id == media_id[:64]))
    ).scalar_one_or_none()
    if listed is None:
        return None
    return (await media_of_agency(session, share.agency, [listed])).get(listed)


def code_key(signing_key_file: Path) -> bytes:
    """The key access codes are kept under: derived from the signing key, which is not in the database."""
    return load_signing_key(signing_key_file).derived_secret("share-access-codes")


def cookie_key(signing_key_file: Path) -> bytes:
    """The key a browser's proof of a right access code is signed with (one share, a few hours)."""
    return load_signing_key(signing_key_file).derived_secret("share-access-cookies")


async def receipt_of(session: AsyncSession, share: Share, signing_key_file: Path, agency_name: str | None) -> bytes:
    """The signed receipt of the share as it stands now (receipt.py); the caller audits it."""
    files = (await files_of(session, [share.id]))[share.id]
    summary = share.summary or {}
    statement = statement_of(
        share={
            "id": share.id,
            "recipient": share.recipient,
            "organisation": share.organisation,
            "recipient_kind": share.recipient_kind,
            "purpose": share.purpose,
            "permission": share.permission,
            "whole_case": share.whole_case,
            "access_code_required": share.access_code_hmac is not None,
            "created_at": share.created_at.isoformat(),
            "created_by": share.created_by,
            "expires_at": share.expires_at.isoformat(),
            "revoked_at": share.revoked_at.isoformat() if share.revoked_at else None,
        },
        case={
            "id": share.case_id,
            "case_number": summary.get("case_number"),
            "title": summary.get("title"),
            "agency": share.agency,
            "agency_name": agency_name,
            "documents": summary.get("documents") or [],
        },
        files=[
            {
                "media_id": f.media_id,
                "filename": f.filename,
                "sha256": f.sha256,
                "size": f.size,
                "kind": f.kind,
                "stage": f.stage,
                "recorded_started_at": f.recorded_started_at.isoformat() if f.recorded_started_at else None,
            }
            for f in files
        ],
        issued_at=utcnow(),
        status=status_of(share),
    )
    return signed_receipt(load_signing_key(signing_key_file), statement)
