"""The pages people use: sign-in, case search, the case review page with its player, one footage item,
the case's audit trail. Server-rendered; every figure comes from the same services as the API."""

import hmac
import math
import unicodedata
from datetime import datetime, time, timedelta
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import func

from ..audit.models import AuditEvent
from ..audit.service import trail_query
from ..auth.people import SessionPolicy, SignInRefused, record_failure, record_throttled, sign_in, sign_out
from ..auth.throttling import Attempt, SignInLimits, account_wait, client_wait, failed, succeeded
from ..cases.listing import list_file, list_sheet
from ..cases.models import Case
from ..cases.scans import scans_of_documents
from ..cases.schemas import SEES_ID_NUMBERS, CaseOut
from ..cases.service import (
    SORTS,
    bindings_of_media,
    count_cases,
    export_rows,
    get_case,
    record_list_export,
    search_cases,
    visible_cases,
    year_bounds,
)
from ..catalog.service import CatalogDep
from ..core.db import DbSession, after_commit, discard
from ..core.deps import EngineDep, SecretsDep, SettingsDep, StoreDep, get_secrets, on_the_loop
from ..core.pagination import keyset, page_of
from ..core.principals import Role
from ..core.problems import Problem, logger
from ..core.public_side import client_address
from ..core.throttle import claim_once
from ..core.times import today
from ..custody.fixity import fixity_history
from ..custody.holds import holds_on, lift_legal_hold, place_legal_hold
from ..export.service import case_file_response
from ..live.service import WATCHERS
from ..media.copies import copies_of
from ..media.delivery import serve_bytes
from ..media.image_copies import image_copies_of
from ..media.playback import check_link, grant_play, grant_thumbnails, played_bytes
from ..media.probe import probe_error_of
from ..media.service import get_media, sightings_of
from ..officers.service import names_of
from ..publication.service import publications_of_documents
from ..review.service import reopen_review, review_case, save_manual_review, sign_off_review
from ..stats.service import findings_of_cases
from ..timeline.model import ContinuityGap, TimelineStage
from .flash import redirect_with_flash
from .lists import flowchart_markup
from .publications import STATUS_NAMES
from .render import CASE_STATUS_NAMES, PAGE_HEADERS, page
from .session import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    LOGIN_FORM_SECONDS,
    SESSION_COOKIE,
    FormPerson,
    MaybePerson,
    Person,
    login_form_nonce,
    new_login_csrf,
    require_page_roles,
    safe_next,
    set_cookie,
)
from .shares import case_shares_section
from .uploads import FILERS

router = APIRouter(include_in_schema=False)

Reviewer = Annotated[object, require_page_roles(Role.admin, Role.auditor, Role.reviewer)]
Overseer = Annotated[object, require_page_roles(Role.admin, Role.auditor)]
Scorer = Annotated[object, require_page_roles(Role.admin, Role.reviewer)]  # scores and signs a case's review
Keeper = Annotated[object, require_page_roles(Role.admin)]
PAGE_SIZE = 25
TRAIL_PAGE = 200


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- signing in and out -------------------------------------------------------------------------


@router.get("/")
async def home(person: MaybePerson) -> RedirectResponse:
    return _see_other("/cases" if person else "/login")


def _login_page(
    request: Request,
    settings,
    *,
    next_path: str,
    error: str | None = None,
    username: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    token = new_login_csrf(get_secrets(request).login_forms)
    response = page(
        request, "login.html", {"csrf_token": token, "next": next_path, "error": error, "username": username}, status_code=status_code
    )
    set_cookie(response, request, settings.cookie_secure, LOGIN_CSRF_COOKIE, token, max_age=LOGIN_FORM_SECONDS)
    response.headers.update(headers or {})
    return response


@router.get("/login")
async def login_form(request: Request, settings: SettingsDep, person: MaybePerson, next: str | None = None) -> Response:
    if person is not None:
        return _see_other(safe_next(next))
    return _login_page(request, settings, next_path=safe_next(next))


REFUSED = "用户名或密码错误，或账户已停用。"


@router.post("/login")
async def login(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    engine: EngineDep,
    secrets: SecretsDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=4096)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/cases",
) -> Response:
    """Sign-in, in this order: the client's budget of posts (before anything else, before any hashing), the
    form's token (this service's, at most an hour old, never used before), the account's throttling, then
    the password. Unknown names, disabled accounts and wrong passwords get the same answer after the same
    work; a throttled attempt gets 429 with Retry-After whether the name exists or not."""
    limits = SignInLimits.of(settings)
    attempt = Attempt.of(username, client_address(request))
    target = safe_next(next)

    def refused(error: str, status: int, wait: float | None = None) -> Response:
        headers = {"Retry-After": str(max(1, math.ceil(wait)))} if wait is not None else None
        return _login_page(request, settings, next_path=target, error=error, username=username[:64], status_code=status, headers=headers)

    def too_soon(wait: float) -> Response:
        seconds = max(1, math.ceil(wait))
        after = f"{seconds} 秒" if seconds < 90 else f"{math.ceil(seconds / 60)} 分钟"
        return refused(f"登录尝试过于频繁，请于 {after}后再试。", 429, wait)

    if (wait := await client_wait(engine, limits, attempt)) is not None:
        return too_soon(wait)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    nonce = login_form_nonce(secrets.login_forms, csrf_token)
    if (
        not expected
        or not hmac.compare_digest(csrf_token.encode(), expected.encode())
        or nonce is None
        or not await claim_once(engine, f"login:form:{nonce}", LOGIN_FORM_SECONDS + 120)
    ):
        # A stale or replayed form (another tab signed in or opened the form since, or the same post sent
        # again) or a post from elsewhere: nothing is checked, a fresh form is shown.
        return refused("登录表单已失效或已提交过，请重新输入用户名和密码。", 403)
    if (wait := await account_wait(engine, limits, attempt)) is not None:
        return too_soon(wait)
    try:
        user, browser, secret = await sign_in(session, SessionPolicy.of(settings), username, password)
    except SignInRefused as refusal:
        counts = await failed(engine, limits, attempt)
        if refusal.user is not None:  # audited for accounts that exist (the answer is the same for all)
            starts = counts.pop("throttle_starts")
            await record_failure(session, refusal.user, {**counts, "reason": refusal.reason})
            if starts:
                await record_throttled(session, refusal.user, {"attempts": counts["attempts"], "wait_seconds": counts["wait_seconds"]})
        logger.info("sign-in refused for %r from %s", username[:64], attempt.client)
        return refused(REFUSED, 401)
    # The counters live in their own transactions (every instance shares them): clear them once the sign-in stands.
    after_commit(session, partial(succeeded, engine, limits, attempt))
    response = _see_other(target)
    set_cookie(
        response, request, settings.cookie_secure, SESSION_COOKIE, secret, max_age=int(SessionPolicy.of(settings).absolute.total_seconds())
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(person: FormPerson, session: DbSession) -> Response:
    await sign_out(session, person.principal, person.browser)
    response = _see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- cases --------------------------------------------------------------------------------------


def _day(value: str | None, name: str, tz) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time(), tz)
    except ValueError:
        raise Problem(400, "invalid-query", f"{name} 应为 YYYY-MM-DD 格式的日期。") from None


HAS_PROBLEMS = {"yes": True, "no": False}


def _list_query(request: Request, person, settings, filters: dict[str, str]):
    """The page's filters as the case search takes them (the same rules as GET /api/v1/cases)."""
    start, end = _day(filters["opened_from"], "立案日期（起）", settings.tz), _day(filters["opened_to"], "立案日期（止）", settings.tz)
    year = None
    if filters["year"]:
        if not (filters["year"].isascii() and filters["year"].isdigit() and 1970 <= int(filters["year"]) <= 2199):
            raise Problem(400, "invalid-query", "年份应为 1970 至 2199 之间的四位数字。")
        year = int(filters["year"])
    if filters["has_problems"] and filters["has_problems"] not in HAS_PROBLEMS:
        raise Problem(400, "invalid-query", "“有问题”只能选“有问题”或“无问题”。")
    before = end + timedelta(days=1) if end else None
    if year is not None:
        first, after = year_bounds(year, settings.tz)
        start, before = max(start, first) if start else first, min(before, after) if before else after
    flag = HAS_PROBLEMS.get(filters["has_problems"])
    return search_cases(
        person.principal,
        case_number=filters["case_number"] or None,
        text=filters["q"],
        procedure=filters["procedure"] or None,
        status=filters["status"] or None,
        opened_from=start,
        opened_before=before,
        problems=request.app.state.cases_by_problems(flag) if flag is not None else None,
    )


def _list_filters(
    case_number: Annotated[str | None, Query(max_length=128)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    procedure: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    year: Annotated[str | None, Query(max_length=4)] = None,
    has_problems: Annotated[str | None, Query(max_length=3)] = None,
    opened_from: Annotated[str | None, Query(max_length=10)] = None,
    opened_to: Annotated[str | None, Query(max_length=10)] = None,
) -> dict[str, str]:
    values = {
        "case_number": case_number,
        "q": q,
        "procedure": procedure,
        "status": status,
        "year": year,
        "has_problems": has_problems,
        "opened_from": opened_from,
        "opened_to": opened_to,
    }
    return {k: (v or "").strip() for k, v in values.items()}


ListFilters = Annotated[dict[str, str], Depends(on_the_loop(_list_filters))]


@router.get("/cases")
async def case_search(
    request: Request,
    catalog: CatalogDep,
    person: Person,
    _role: Reviewer,
    session: DbSession,
    settings: SettingsDep,
    filters: ListFilters,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> Response:
    """案件查询: partial search, filters, 立案日期 newest first, the total, the list as CSV or XLSX."""
    query = _list_query(request, person, settings, filters)
    keys, newest_first = SORTS["-opened_at"]
    rows = (await session.execute(keyset(query, keys, cursor, PAGE_SIZE, descending=newest_first))).scalars().all()
    rows, next_cursor = page_of(list(rows), ["opened_at", "id"], PAGE_SIZE)
    total = await count_cases(session, query)
    first_year = (await session.execute(visible_cases(person.principal).with_only_columns(func.min(Case.opened_at)))).scalar_one()
    this_year = today(settings.tz).year
    earliest = min(first_year.astimezone(settings.tz).year, this_year) if first_year else this_year
    filters_query = {k: v for k, v in filters.items() if v}
    return page(
        request,
        "cases.html",
        {
            "cases": [CaseOut.of(c, person.principal, settings.tz) for c in rows],
            "findings": await findings_of_cases(session, [c.id for c in rows]),
            "total": total,
            "procedures": {p.code: p.name_zh for p in catalog.procedures},
            "statuses": CASE_STATUS_NAMES,
            "years": list(range(this_year, earliest - 1, -1)),
            "filters": filters,
            "next_query": {**filters_query, "cursor": next_cursor} if next_cursor else None,
            "first_page": cursor is None,
            "filters_query": filters_query,
            "sees_ids": person.principal.role in SEES_ID_NUMBERS,
        },
        person=person,
    )


@router.get("/cases/export")
async def case_list_export(
    request: Request,
    catalog: CatalogDep,
    person: Person,
    _role: Reviewer,
    session: DbSession,
    settings: SettingsDep,
    filters: ListFilters,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
) -> Response:
    """The list as the page shows it (every page of it) as a file."""
    cases = await export_rows(session, _list_query(request, person, settings, filters), "-opened_at")
    header, rows = list_sheet(cases, person.principal, catalog, settings.tz)
    await record_list_export(session, person.principal, format, len(rows), {k: v for k, v in filters.items() if v})
    return await list_file(header, rows, format, today(settings.tz))


def _stage_items(stage: TimelineStage) -> list[dict]:
    """A stage's clips in recording order with the gaps between them (unexplained findings and explained
    interruptions) drawn where they fall."""
    items = [{"kind": "clip", "at": m.recorded_started_at, "order": 0, "clip": m} for m in stage.media]
    for finding in stage.findings:
        if isinstance(finding, ContinuityGap):
            items.append({"kind": "gap", "at": finding.gap_start, "order": 1, "gap": finding, "explained": False})
    for explanation in stage.interruptions:
        items.append({"kind": "gap", "at": explanation.gap_start, "order": 1, "gap": explanation, "explained": True})
    undated = [i for i in items if i["at"] is None]
    dated = sorted((i for i in items if i["at"] is not None), key=lambda i: (_as_datetime(i["at"]), i["order"]))
    return dated + undated


def _as_datetime(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


@router.get("/cases/{case_id}")
async def case_page(
    case_id: str,
    request: Request,
    catalog: CatalogDep,
    person: Person,
    _role: Reviewer,
    session: DbSession,
    settings: SettingsDep,
    secrets: SecretsDep,
) -> Response:
    case = await get_case(session, person.principal, case_id)
    review, timeline = await review_case(session, catalog, settings, person.principal, case, via="page")
    photos = [(m.media_id, case.agency) for s in timeline.stages for m in s.media if m.kind == "image" and m.status != "deleted"]
    thumbnails = await grant_thumbnails(
        session, person.principal, list(dict.fromkeys(photos)), timedelta(minutes=settings.playback_grant_minutes), secrets.play_links
    )
    holds = await holds_on(session, person.principal, case_id=case.id)
    copies = await copies_of(session, [m.media_id for s in timeline.stages for m in s.media])
    decision_types = {t for types in catalog.publication.decision_documents.values() for t in types}
    decisions = [d.id for s in timeline.stages for d in s.documents if d.doc_type in decision_types]
    publications = await publications_of_documents(session, person.principal, decisions)
    findings = timeline.completeness.findings
    stage_names = {s.stage: s.name for s in timeline.stages}
    # Officers by name from the register (one statement for the page), else as the case names them, else 未登记.
    typed = {o.officer_id: o.name for o in timeline.case.officers}
    numbers = {
        *typed,
        *(o for s in timeline.stages for o in s.officers),
        *(o for s in timeline.stages for m in s.media for o in m.officer_ids),
    }
    registered = await names_of(session, [(case.agency, o) for o in numbers])
    scans = await scans_of_documents(session, [d.id for s in timeline.stages for d in s.documents])
    may_upload = person.principal.role in FILERS
    response = page(
        request,
        "case.html",
        {
            "case": timeline.case,
            "procedure": timeline.procedure,
            "stages": timeline.stages,
            "findings": findings,
            "recommendations": timeline.completeness.recommendations,
            "in_progress": timeline.completeness.in_progress,  # footage still being recorded (issue 29)
            "may_watch": person.principal.role in WATCHERS,
            "thumbnails": thumbnails,
            "deadlines": timeline.deadlines,
            "review": review,
            "stage_names": stage_names,
            "items": {s.stage: _stage_items(s) for s in timeline.stages},
            "holds": holds,
            "copies": copies,
            "may_hold": person.principal.role in (Role.admin, Role.auditor),
            "decisions": set(decisions),
            "publications": {doc: (p.id, p.status) for doc, p in publications.items()},
            "may_draft": person.principal.role is Role.admin,
            "publication_status": STATUS_NAMES,
            "may_audit": person.principal.role in (Role.admin, Role.auditor),
            "may_score": person.principal.role in (Role.admin, Role.reviewer),
            "may_reopen": person.principal.role is Role.admin,
            "tz": settings.tz,
            "printed_at": datetime.now(settings.tz),
            "officer_names": {o: registered.label(case.agency, o, typed.get(o)) for o in numbers},
            "document_types": {d.code: d.name_zh for d in catalog.document_types},
            "flowchart": flowchart_markup(request, timeline.case.procedure, {s.stage: s.status for s in timeline.stages}),
            **await case_shares_section(session, person.principal, case.id, settings.tz),  # 对外共享 (web/shares.py)
            "scans": {doc: found[-1] for doc, found in scans.items()},
            "may_upload": may_upload,
        },
        person=person,
    )
    if may_upload:
        # The upload form hashes files with hash-wasm (WebAssembly compiled from our own script): allowed here only.
        csp = PAGE_HEADERS["Content-Security-Policy"].replace("script-src 'self';", "script-src 'self' 'wasm-unsafe-eval';")
        response.headers["Content-Security-Policy"] = csp
    return response


# --- 案卷评查 by people: the reviewer's deductions, 评查意见 and sign-off -------------------------------


def _deduction(text: str, label: str) -> float | None:
    """A deduction typed in the form (全角 digits folded); empty: not judged yet."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise Problem(422, "invalid-deduction", f"“{label}”的扣分须填写数字。", detail_zh=f"“{label}”的扣分须填写数字。") from None
    if not math.isfinite(value):
        raise Problem(422, "invalid-deduction", f"“{label}”的扣分须填写数字。", detail_zh=f"“{label}”的扣分须填写数字。")
    return value


def _review_refused(exc: Problem) -> bool:
    """A refusal the form answers on the case page (the person's own mistake or a conflict), not as an error page."""
    return exc.status in (409, 422)


@router.post("/cases/{case_id}/review")
async def case_review_save(
    case_id: str, request: Request, catalog: CatalogDep, person: FormPerson, _role: Scorer, session: DbSession
) -> Response:
    """The 评查 form: save the reviewer's deductions and 评查意见; with `action=sign`, then sign the review."""
    case = await get_case(session, person.principal, case_id)
    sheet = catalog.review_sheet
    if sheet is None:
        raise Problem(404, "no-review-sheet", "本单位的目录未配置评查标准。")
    back = f"/cases/{case.id}#review"
    form = await request.form()

    def field(name: str, limit: int) -> str:
        value = form.get(name)
        return value[:limit] if isinstance(value, str) else ""

    try:
        items = []
        for item in sheet.manual_items:
            lost = _deduction(field(f"lost_{item.code}", 20), item.name_zh)
            if lost is not None:
                items.append({"item": item.code, "points_lost": lost, "opinion": field(f"opinion_{item.code}", 2000)})
        version_text = field("version", 12).strip()
        version = int(version_text) if version_text.isdigit() else None
        row = await save_manual_review(session, sheet, person.principal, case, items, field("opinion", 4000), version)
    except Problem as exc:
        if not _review_refused(exc):
            raise
        await discard(session)
        return redirect_with_flash(request, person, back, error=str(exc.extra.get("detail_zh") or exc.detail)[:280])
    if field("action", 10) != "sign":
        return redirect_with_flash(request, person, back, notice=f"评查内容已保存（第 {row.version} 版）。")
    try:
        await sign_off_review(session, sheet, person.principal, case, row.version)
    except Problem as exc:
        if exc.status != 422:  # incomplete: what was saved stays saved, the page says what is missing
            raise
        return redirect_with_flash(request, person, back, error=f"已保存，但未签署：{exc.extra.get('detail_zh') or exc.detail}"[:280])
    return redirect_with_flash(request, person, back, notice="评查已签署。")


@router.post("/cases/{case_id}/review/reopen")
async def case_review_reopen(
    case_id: str,
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    case = await get_case(session, person.principal, case_id)
    back = f"/cases/{case.id}#review"
    try:
        await reopen_review(session, person.principal, case, reason)
    except Problem as exc:
        if not _review_refused(exc):
            raise
        await discard(session)
        return redirect_with_flash(request, person, back, error=str(exc.extra.get("detail_zh") or exc.detail)[:280])
    return redirect_with_flash(request, person, back, notice="已退回重评，评查人可修改后重新签署。")


@router.get("/cases/{case_id}/export")
async def case_export(
    case_id: str, catalog: CatalogDep, person: Person, _role: Reviewer, session: DbSession, settings: SettingsDep, store: StoreDep
) -> Response:
    case = await get_case(session, person.principal, case_id)
    return await case_file_response(session, catalog, settings, store, person.principal, case)


@router.post("/cases/{case_id}/holds")
async def case_hold(
    case_id: str,
    person: FormPerson,
    _role: Overseer,
    session: DbSession,
    store: StoreDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if not reason.strip():
        raise Problem(422, "reason-required", "设置保全需要填写原因。")
    await place_legal_hold(session, store, person.principal, case_id=case_id, reason=reason.strip())
    return _see_other(f"/cases/{case_id}#holds")


@router.post("/cases/{case_id}/holds/{hold_id}/lift")
async def case_hold_lift(
    case_id: str,
    hold_id: str,
    person: FormPerson,
    _role: Overseer,
    session: DbSession,
    store: StoreDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if not reason.strip():
        raise Problem(422, "reason-required", "解除保全需要填写原因。")
    await get_case(session, person.principal, case_id)
    await lift_legal_hold(session, store, person.principal, hold_id, reason.strip(), case_id=case_id)
    return _see_other(f"/cases/{case_id}#holds")


# --- footage ------------------------------------------------------------------------------------


@router.get("/footage/{media_id}")
async def footage_page(
    media_id: str,
    request: Request,
    catalog: CatalogDep,
    person: Person,
    _role: Reviewer,
    session: DbSession,
    settings: SettingsDep,
    secrets: SecretsDep,
) -> Response:
    media = await get_media(session, person.principal, media_id)
    thumbnails = (
        await grant_thumbnails(
            session, person.principal, [(media.id, media.agency)], timedelta(minutes=settings.playback_grant_minutes), secrets.play_links
        )
        if media.kind == "image" and media.status != "deleted"
        else {}
    )
    may_audit = person.principal.role in (Role.admin, Role.auditor)
    trail = []
    if may_audit:
        trail = list(
            (
                await session.execute(trail_query(person.principal, media_ids=[media.id]).order_by(AuditEvent.seq.desc()).limit(TRAIL_PAGE))
            ).scalars()
        )
    bindings = await bindings_of_media(session, person.principal, media.id)
    for binding in bindings:
        procedure = catalog.procedure(binding["procedure"])
        stage = procedure.stage(binding["stage"]) if procedure else None
        binding["stage_name"] = stage.name_zh if stage else binding["stage"]
    sightings = await sightings_of(session, media.id)
    seen = [o for s in sightings for o in s.upload_metadata.get("officer_ids") or [] if isinstance(o, str)]
    numbers = {*(media.officer_ids or []), *seen}
    registered = await names_of(session, [(media.agency, o) for o in numbers])  # one statement for the page
    return page(
        request,
        "footage.html",
        {
            "media": media,
            "probe_error": probe_error_of(media, settings),
            "bindings": bindings,
            "sightings": sightings,
            "officer_names": {o: registered.label(media.agency, o) for o in numbers},
            "fixity": await fixity_history(session, media.id),
            "trail": trail,
            "may_audit": may_audit,
            "tz": settings.tz,
            "copy": (await copies_of(session, [media.id])).get(media.id),
            "image_copies": (await image_copies_of(session, [media.id])).get(media.id, {}),
            "thumbnail": thumbnails.get(media.id),
            "may_watch": person.principal.role in WATCHERS,
            "idle_minutes": settings.recording_idle_minutes,
        },
        person=person,
    )


@router.post("/footage/{media_id}/play")
async def footage_play(
    media_id: str, person: FormPerson, _role: Reviewer, session: DbSession, settings: SettingsDep, secrets: SecretsDep
) -> JSONResponse:
    media = await get_media(session, person.principal, media_id)
    play = await grant_play(session, person.principal, media, timedelta(minutes=settings.playback_grant_minutes), secrets.play_links)
    return JSONResponse(
        {
            "url": play.url,
            "grant_id": play.grant.id,
            "source": play.source,
            "kind": play.kind,
            "sha256": media.sha256,
            "warning": play.warning,
            "expires_at": play.grant.expires_at.astimezone(settings.tz).isoformat(),
        },
        headers={"Cache-Control": "no-store"},
    )


@router.api_route("/play/{grant_id}/{media_id}", methods=["GET", "HEAD"])
async def play(
    grant_id: str,
    media_id: str,
    request: Request,
    person: MaybePerson,
    session: DbSession,
    store: StoreDep,
    secrets: SecretsDep,
    u: Annotated[str, Query(max_length=64)] = "",
    exp: Annotated[str, Query(max_length=20)] = "",
    src: Annotated[str, Query(max_length=20)] = "original",
    sig: Annotated[str, Query(max_length=128)] = "",
) -> Response:
    check_link(secrets.play_links, person.principal if person else None, grant_id, media_id, u, exp, src, sig)
    return await serve_bytes(request, store, await played_bytes(session, media_id, src))
