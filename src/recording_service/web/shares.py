"""对外共享 in the pages: the recipient's page `/shared/{token}` (no account), and the case page's section where the
agency makes, follows and revokes its shares (templates/_case_shares.html).

The recipient's pages never carry the token anywhere it could leak: `Referrer-Policy: no-referrer` (a link
followed from the page does not name it), not cached by shared proxies (`no-store`), not indexed (`X-Robots-Tag`),
standalone (no menu, no 适老化 link whose `next` would repeat the path), and the server's logs redact every
`/shared/<token>` path (core/redaction.py). Unknown links answer 404, expired or revoked ones 410, both with the
same plain page (or a problem JSON to a client that asks for JSON).
"""

import hashlib
import hmac
import math
import time
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from ..agencies.service import get_agency
from ..cases.service import get_case, shareable_material
from ..catalog.service import CatalogDep
from ..core.db import DbSession, discard
from ..core.deps import EngineDep, SettingsDep, StoreDep
from ..core.messages import errors_zh, problem_zh
from ..core.principals import Principal, Role
from ..core.problems import Problem, problem_response
from ..core.public_side import ITEM, client_address, public_budget
from ..core.query import only
from ..core.throttle import count_failure, state
from ..media.copies import copies_of, needs_playback_copy
from ..media.delivery import StoredBytes, serve_bytes
from ..media.image_copies import VIEWING, image_copies_of
from ..media.models import Media
from ..media.playback import played_bytes
from ..media.service import media_of_agency
from ..shares.models import Share
from ..shares.schemas import ShareCreate, ShareRevoke
from ..shares.service import (
    code_key,
    code_matches,
    cookie_key,
    counts_of,
    create_share,
    files_of,
    get_share,
    note_use,
    receipt_of,
    revoke_share,
    share_by_token,
    shared_media,
    status_of,
    visible_shares,
)
from .flash import redirect_with_flash
from .render import PAGE_HEADERS, templates
from .session import FormPerson, require_page_roles

router = APIRouter(include_in_schema=False)
Sharer = Annotated[object, require_page_roles(Role.admin)]

# The recipient's pages: as the staff pages (no framing, our own scripts only), and never a referrer, a shared cache or an index.
SHARED_HEADERS = {
    **PAGE_HEADERS,
    "Cache-Control": "no-store, private",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow, noarchive",
}
BYTES_HEADERS = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow, noarchive"}
ACCESS_COOKIE = "rs_share"
ACCESS_HOURS = 8  # a right access code opens the share in that browser for this long (never past the share's expiry)
CODE_FREE, CODE_FIRST_DELAY, CODE_MAX_DELAY, CODE_FORGET = 5, 2.0, 900.0, 3600.0
KIND_NAMES = {"lawyer": "律师", "court": "法院", "review_body": "复议机关", "superior": "上级机关", "other": "其他"}
STATUS_NAMES = {"active": "有效", "expired": "已过期", "revoked": "已撤销"}
PERMISSION_NAMES = {"view": "仅查看", "download": "可下载"}


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return ("application/json" in accept or "application/problem+json" in accept) and "text/html" not in accept


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, {"person": None, "large_text": False, **context}, status_code=status_code)
    response.headers.update(SHARED_HEADERS)
    return response


def _closed(request: Request, status: int, reason: str) -> Response:
    """The one answer for a link that opens nothing: 404 (no such link) or 410 (expired, revoked), page or problem JSON."""
    texts = {
        "unknown": ("share-not-found", "链接无效", "没有找到这个共享链接，请核对链接是否完整。"),
        "expired": ("share-expired", "链接已过期", "这个共享链接已过有效期，内容不再提供。如仍需要，请联系提供链接的执法机关。"),
        "revoked": ("share-revoked", "链接已撤销", "提供链接的执法机关已撤销这个共享链接，内容不再提供。"),
        "file": ("share-file-not-found", "没有这个文件", "这个共享中没有这个文件。"),
        "gone": ("share-file-gone", "文件已不可用", "这个文件已按保存期限删除，不再提供。"),
        "view-only": ("share-view-only", "仅可查看", "这个共享只允许在线查看，不提供下载。"),
    }
    code, title, detail = texts[reason]
    if _wants_json(request):
        response: Response = problem_response(Problem(status, code, title, detail_zh=detail))
        response.headers.update(BYTES_HEADERS)
        return response
    return _page(request, "shared_closed.html", {"title": title, "detail": detail, "status": status}, status_code=status)


def _cookie_value(key: bytes, share: Share, until: int) -> str:
    signature = hmac.new(key, f"share-access:v1:{share.id}:{until}".encode(), hashlib.sha256).hexdigest()
    return f"{until}.{signature}"


def _cookie_ok(request: Request, key: bytes, share: Share) -> bool:
    value = request.cookies.get(ACCESS_COOKIE, "")
    until, _, signature = value.partition(".")
    if not until.isdigit() or len(until) > 12 or int(until) <= time.time():
        return False
    return hmac.compare_digest(_cookie_value(key, share, int(until)), value)


async def _open(request: Request, session: DbSession, token: str) -> tuple[Share | None, Response | None]:
    """The share the token opens and may be used now, or the answer that it does not."""
    share = await share_by_token(session, token)
    if share is None:
        return None, _closed(request, 404, "unknown")
    status = status_of(share)
    if status != "active":
        return None, _closed(request, 410, status)
    return share, None


def _needs_code(request: Request, share: Share) -> bool:
    settings = request.app.state.settings
    return share.access_code_hmac is not None and not _cookie_ok(request, cookie_key(settings.signing_key_file), share)


async def _view_context(session: DbSession, share: Share) -> dict[str, Any]:
    files = (await files_of(session, [share.id]))[share.id]
    records = await media_of_agency(session, share.agency, [f.media_id for f in files])
    profile = await get_agency(session, share.agency)
    return {
        "share": share,
        "summary": share.summary or {},
        "files": [{"file": f, "media": records.get(f.media_id)} for f in files],
        "agency_name": profile.name_zh if profile else share.agency,
        "kind_name": KIND_NAMES.get(share.recipient_kind, share.recipient_kind),
        "permission_name": PERMISSION_NAMES.get(share.permission, share.permission),
        "total": sum(f.size for f in files),
    }


@router.get("/shared/{token}", dependencies=[public_budget(ITEM), only()])
async def shared_page(token: str, request: Request, session: DbSession, engine: EngineDep, settings: SettingsDep) -> Response:
    share, closed = await _open(request, session, token)
    if share is None:
        return closed  # type: ignore[return-value]
    if _needs_code(request, share):
        return _page(request, "shared_code.html", {"token": token, "error": None})
    await note_use(session, engine, share, "viewed")
    context = await _view_context(session, share)
    return _page(request, "shared.html", {**context, "token": token, "tz": settings.tz})


@router.post("/shared/{token}", dependencies=[public_budget(ITEM)])
async def shared_code(
    token: str,
    request: Request,
    session: DbSession,
    engine: EngineDep,
    settings: SettingsDep,
    code: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """The access code: checked against the share's HMAC; wrong codes are throttled per share and per address, and an
    unknown link spends the address's count as a wrong code does."""
    address = client_address(request)[:80]
    share = await share_by_token(session, token)
    keys = [f"share-code-addr:{address}"] + ([f"share-code:{share.id}"] if share is not None else [])
    waits = [s.wait for s in (await state(engine, keys)).values() if s.wait > 0]
    if waits:
        wait = max(1, math.ceil(max(waits)))
        response = _page(
            request,
            "shared_code.html",
            {"token": token, "error": f"尝试次数过多，请 {wait} 秒后再试。"},
            status_code=429,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    if share is None:
        await count_failure(engine, keys, free=CODE_FREE, first_delay=CODE_FIRST_DELAY, max_delay=CODE_MAX_DELAY, forget_after=CODE_FORGET)
        return _closed(request, 404, "unknown")
    status = status_of(share)
    if status != "active":
        return _closed(request, 410, status)
    if not code_matches(share, code_key(settings.signing_key_file), code):
        await count_failure(engine, keys, free=CODE_FREE, first_delay=CODE_FIRST_DELAY, max_delay=CODE_MAX_DELAY, forget_after=CODE_FORGET)
        return _page(request, "shared_code.html", {"token": token, "error": "访问码不正确。"}, status_code=403)
    until = int(min(time.time() + ACCESS_HOURS * 3600, share.expires_at.timestamp()))
    response = Response(status_code=303, headers={"Location": f"/shared/{token}", **BYTES_HEADERS, "Cache-Control": "no-store"})
    response.set_cookie(
        ACCESS_COOKIE,
        _cookie_value(cookie_key(settings.signing_key_file), share, until),
        max_age=max(1, until - int(time.time())),
        path=f"/shared/{token}",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure if settings.cookie_secure is not None else request.url.scheme == "https",
    )
    return response


async def _play_source(session: DbSession, media: Media) -> str:
    """What a player is given: the playback copy of footage a browser cannot play once it is made, a photo's viewing
    copy once made, else the original (as the staff's player chooses, media/playback.py)."""
    if media.kind == "image":
        viewing = (await image_copies_of(session, [media.id])).get(media.id, {}).get(VIEWING)
        return "viewing_copy" if viewing is not None and viewing.status == "ready" else "original"
    if needs_playback_copy(media):
        copy = (await copies_of(session, [media.id])).get(media.id)
        return "playback_copy" if copy is not None and copy.status == "ready" else "original"
    return "original"


async def _file(request: Request, session: DbSession, token: str, media_id: str) -> tuple[Share | None, Media | None, Response | None]:
    share, closed = await _open(request, session, token)
    if share is None:
        return None, None, closed
    if _needs_code(request, share):
        return None, None, _closed(request, 404, "file")
    media = await shared_media(session, share, media_id)
    if media is None:
        return None, None, _closed(request, 404, "file")
    if media.status == "deleted":
        return None, None, _closed(request, 410, "gone")
    return share, media, None


@router.api_route("/shared/{token}/files/{media_id}", methods=["GET", "HEAD"], dependencies=[only()])
async def shared_play(token: str, media_id: str, request: Request, session: DbSession, engine: EngineDep, store: StoreDep) -> Response:
    """The file for the page's player (ranges as a video element asks them): audited once per window, not per range."""
    share, media, closed = await _file(request, session, token, media_id)
    if share is None or media is None:
        return closed  # type: ignore[return-value]
    stored = await played_bytes(session, media.id, await _play_source(session, media))
    if request.method == "GET":
        await note_use(session, engine, share, "played", media_id=media.id)
    response = await serve_bytes(request, store, stored)
    response.headers.update(BYTES_HEADERS)
    return response


@router.api_route("/shared/{token}/files/{media_id}/download", methods=["GET", "HEAD"], dependencies=[only()])
async def shared_download(token: str, media_id: str, request: Request, session: DbSession, engine: EngineDep, store: StoreDep) -> Response:
    """The original's bytes as a download (shares with permission `download`): the SHA-256 the page lists."""
    share, media, closed = await _file(request, session, token, media_id)
    if share is None or media is None:
        return closed  # type: ignore[return-value]
    if share.permission != "download":
        return _closed(request, 403, "view-only")
    if media.sha256 is None:  # never shared (shares.service), but a merged recording must not be served as bytes
        return _closed(request, 410, "gone")
    stored = StoredBytes(media.storage_key, media.sha256, media.size, None, media.filename)  # no type: always an attachment
    if request.method == "GET":
        await note_use(
            session,
            engine,
            share,
            "downloaded",
            media_id=media.id,
            byte_range=request.headers.get("range", "")[:200] or None,
            size=media.size,
        )
    response = await serve_bytes(request, store, stored)
    response.headers.update(BYTES_HEADERS)
    return response


@router.get("/shared/{token}/receipt", dependencies=[public_budget(ITEM), only()])
async def shared_receipt(token: str, request: Request, session: DbSession, engine: EngineDep, settings: SettingsDep) -> Response:
    """The signed receipt (共享清单) as a JSON file; `recording-service verify-receipt` checks it offline."""
    share, closed = await _open(request, session, token)
    if share is None:
        return closed  # type: ignore[return-value]
    if _needs_code(request, share):
        return _closed(request, 404, "file")
    profile = await get_agency(session, share.agency)
    body = await receipt_of(session, share, settings.signing_key_file, profile.name_zh if profile else None)
    await note_use(session, engine, share, "receipt", every_time=True)
    return Response(
        body,
        media_type="application/json",
        headers={
            **BYTES_HEADERS,
            "Cache-Control": "no-store, private",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'attachment; filename="share-receipt-{share.id}.json"',
        },
    )


# --- the agency's side: the case page's 对外共享 section ---------------------------------------------------


async def case_shares_section(session: DbSession, principal: Principal, case_id: str, tz: Any) -> dict[str, Any]:
    """What templates/_case_shares.html shows on the case page (admins and auditors; the case is the person's)."""
    if principal.role not in (Role.admin, Role.auditor):
        return {"shares_section": None}
    rows = list(
        (await session.execute(visible_shares(principal, case_id).order_by(Share.created_at.desc(), Share.id.desc()).limit(200))).scalars()
    )
    ids = [s.id for s in rows]
    files, counts = await files_of(session, ids), await counts_of(session, ids)
    material = await shareable_material(session, case_id) if principal.role is Role.admin else None
    offered = (
        list(
            dict.fromkeys(
                [m for m, _ in material["media"]] + [d["attachment_media_id"] for d in material["documents"] if d["attachment_media_id"]]
            )
        )
        if material
        else []
    )
    return {
        "shares_section": {
            "items": [
                {
                    "share": s,
                    "status": status_of(s),
                    "files": files[s.id],
                    "counts": counts[s.id],
                    "kind": KIND_NAMES.get(s.recipient_kind, s.recipient_kind),
                }
                for s in rows
            ],
            "may_share": principal.role is Role.admin and bool(offered),
            "status_names": STATUS_NAMES,
            "permission_names": PERMISSION_NAMES,
            "kind_names": KIND_NAMES,
            "default_expiry": (datetime.now(tz) + timedelta(days=30)).strftime("%Y-%m-%d"),
        }
    }


@router.post("/cases/{case_id}/shares")
async def case_share_create(
    case_id: str,
    request: Request,
    person: FormPerson,
    _role: Sharer,
    session: DbSession,
    catalog: CatalogDep,
    settings: SettingsDep,
    recipient: Annotated[str, Form(max_length=200)] = "",
    organisation: Annotated[str, Form(max_length=400)] = "",
    recipient_kind: Annotated[str, Form(max_length=20)] = "other",
    purpose: Annotated[str, Form(max_length=2000)] = "",
    expires_on: Annotated[str, Form(max_length=20)] = "",
    permission: Annotated[str, Form(max_length=20)] = "view",
    access_code: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Made from the case page: the link (and the code) are shown once, on the answer itself, never in a redirect."""
    case = await get_case(session, person.principal, case_id)
    back = f"/cases/{case.id}#shares"
    try:
        day = datetime.strptime(expires_on.strip(), "%Y-%m-%d").date()
        expires_at = datetime.combine(day, datetime.max.time().replace(microsecond=0), tzinfo=settings.tz)
    except ValueError:
        return redirect_with_flash(request, person, back, error="有效期至须为日期（YYYY-MM-DD）。")
    fields = {
        "recipient": recipient,
        "organisation": organisation,
        "recipient_kind": recipient_kind,
        "purpose": purpose,
        "expires_at": expires_at,
        "permission": permission,
        "access_code": access_code == "on",
    }
    try:
        body = ShareCreate.model_validate(fields)
    except ValidationError as exc:
        return redirect_with_flash(request, person, back, error="；".join(errors_zh(exc.errors(), "share"))[:280])
    try:
        made = await create_share(session, catalog, person.principal, case, body, code_key(settings.signing_key_file))
    except Problem as problem:
        await discard(session)
        return redirect_with_flash(request, person, back, error=problem_zh(problem)[:280])
    response = templates.TemplateResponse(
        request,
        "share_created.html",
        {
            "person": person,
            "large_text": False,
            "case": case,
            "share": made.share,
            "files": made.files,
            "link": f"{str(request.base_url).rstrip('/')}/shared/{made.token}",
            "access_code": made.access_code,
            "tz": settings.tz,
            "kind_name": KIND_NAMES.get(made.share.recipient_kind, made.share.recipient_kind),
            "permission_name": PERMISSION_NAMES.get(made.share.permission, made.share.permission),
        },
    )
    response.headers.update(SHARED_HEADERS)
    return response


@router.post("/cases/{case_id}/shares/{share_id}/revoke")
async def case_share_revoke(
    case_id: str,
    share_id: str,
    request: Request,
    person: FormPerson,
    _role: Sharer,
    session: DbSession,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    case = await get_case(session, person.principal, case_id)
    back = f"/cases/{case.id}#shares"
    share = await get_share(session, person.principal, share_id)
    if share.case_id != case.id:
        raise Problem(404, "share-not-found", "No such share.")
    try:
        body = ShareRevoke.model_validate({"reason": reason})
    except ValidationError:
        return redirect_with_flash(request, person, back, error="撤销共享须填写原因。")
    try:
        await revoke_share(session, person.principal, share, body.reason)
    except Problem as problem:
        await discard(session)
        return redirect_with_flash(request, person, back, error=problem_zh(problem)[:280])
    return redirect_with_flash(request, person, back, notice=f"已撤销对 {share.recipient}（{share.organisation}）的共享，链接即时失效。")
