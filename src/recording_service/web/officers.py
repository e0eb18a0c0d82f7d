"""The officer register's pages: the agency's list (admin maintains it here too) and the public 资格清单."""

from dataclasses import asdict
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from ..agencies.service import list_agencies
from ..core.db import DbSession, discard
from ..core.deps import SettingsDep, on_the_loop
from ..core.messages import error_zh, messages, name_of, problem_zh
from ..core.principals import Role
from ..core.problems import Problem
from ..core.public_side import LIST, PUBLIC_CACHE, public_budget, spend_public_budget
from ..core.query import only, refuse_unknown
from ..core.times import today
from ..officers.models import Officer
from ..officers.schemas import STATUS_NAMES, CertificateStatus, OfficerCreate, OfficerUpdate
from ..officers.service import (
    ImportRefused,
    OfficerSort,
    PublicFilter,
    certificate_check,
    create_officer,
    expiring_within,
    get_officer,
    history_of,
    import_officers,
    ordered,
    public_filter,
    published_count,
    published_numbered,
    published_page,
    read_sheet,
    split_list,
    update_officer,
    visible_officers,
)
from .flash import redirect_with_flash
from .paging import MAX_PAGE, pager
from .render import page
from .session import FormPerson, Person, require_page_roles

router = APIRouter(include_in_schema=False)
Keeper = Annotated[object, require_page_roles(Role.admin)]
Reader = Annotated[object, require_page_roles(Role.admin, Role.auditor, Role.reviewer)]
EXPIRING_DAYS = 60
PUBLIC_PAGE = 50
PUBLIC_SORTS = {OfficerSort.name.value: "按单位和姓名拼音", OfficerSort.certificate_number.value: "按执法证号"}
STAFF_SORTS = {**PUBLIC_SORTS, OfficerSort.officer_id.value: "按人员编号"}


async def _register_page(
    request: Request,
    person,
    session,
    settings,
    status: str | None,
    *,
    errors: list | None = None,
    notice: str | None = None,
    form: dict | None = None,
    status_code: int = 200,
    sort: OfficerSort = OfficerSort.name,
) -> Response:
    query = visible_officers(person.principal)
    listed = query.where(Officer.status == status) if status else query
    officers = (await session.execute(ordered(listed, sort).limit(2000))).scalars().all()
    expiring = (await session.execute(expiring_within(query, today(settings.tz), EXPIRING_DAYS).order_by(Officer.valid_to))).scalars().all()
    return page(
        request,
        "officers.html",
        {
            "officers": officers,
            "expiring": expiring,
            "expiring_days": EXPIRING_DAYS,
            "status": status or "",
            "sort": sort.value,
            "sorts": STAFF_SORTS,
            "statuses": STATUS_NAMES,
            "may_edit": person.principal.role is Role.admin,
            "errors": errors or [],
            "notice": notice,
            "form": form or {},
            "field_labels": messages().fields["officer"],
        },
        status_code=status_code,
        person=person,
    )


@router.get("/officers")
async def register_page(
    request: Request,
    person: Person,
    _role: Reader,
    session: DbSession,
    settings: SettingsDep,
    status: Annotated[str | None, Query(pattern="^(valid|suspended|cancelled|revoked)?$")] = None,
    sort: Annotated[str, Query(pattern="^(name|certificate_number|officer_id)?$")] = "",
) -> Response:
    # an import's notice comes as a flash
    return await _register_page(request, person, session, settings, status, sort=OfficerSort(sort or OfficerSort.name))


@router.post("/officers")
async def register_officer(
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    settings: SettingsDep,
    officer_id: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    unit: Annotated[str, Form(max_length=200)] = "",
    certificate_number: Annotated[str, Form(max_length=64)] = "",
    categories: Annotated[str, Form(max_length=1000)] = "",
    regions: Annotated[str, Form(max_length=2000)] = "",
    valid_from: Annotated[str, Form(max_length=10)] = "",
    valid_to: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    form = {
        "officer_id": officer_id,
        "name": name,
        "unit": unit,
        "certificate_number": certificate_number,
        "categories": categories,
        "regions": regions,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }
    try:
        body = OfficerCreate(
            officer_id=officer_id.strip(),
            name=name.strip(),
            unit=unit.strip(),
            certificate_number=certificate_number.strip(),
            categories=split_list(categories),
            regions=split_list(regions),
            valid_from=valid_from,
            valid_to=valid_to,
        )
    except ValidationError as exc:
        errors = [
            {"row": None, "field": ".".join(str(p) for p in e["loc"]) or None, "error": e["msg"], "error_zh": error_zh(e, "officer")}
            for e in exc.errors()
        ]
        return await _register_page(request, person, session, settings, None, errors=errors, form=form, status_code=422)
    try:
        await create_officer(session, person.principal, body, today(settings.tz))
    except Problem as problem:
        await discard(session)
        return await _register_page(
            request,
            person,
            session,
            settings,
            None,
            errors=[{"row": None, "field": "officer_id", "error": problem.detail, "error_zh": problem_zh(problem)}],
            form=form,
            status_code=problem.status,
        )
    return RedirectResponse(f"/officers/{body.officer_id}", status_code=303)


@router.post("/officers/import")
async def import_register(
    request: Request, person: FormPerson, _role: Keeper, session: DbSession, settings: SettingsDep, file: Annotated[UploadFile, File()]
) -> Response:
    data = await file.read(settings.max_sheet_bytes + 1)
    try:
        if len(data) > settings.max_sheet_bytes:
            raise Problem(
                413, "sheet-too-large", "", detail_zh=f"表格文件不能超过 {settings.max_sheet_bytes // (1024 * 1024)} MB，未导入任何内容。"
            )
        bodies = await read_sheet(file.filename or "", data, settings)  # off the event loop, within the sheet limits
    except ImportRefused as refused:
        return await _register_page(request, person, session, settings, None, errors=refused.errors[:500], status_code=422)
    except Problem as problem:  # too large or too long: said on the page, in Chinese
        if "detail_zh" not in problem.extra:
            raise
        return await _register_page(
            request,
            person,
            session,
            settings,
            None,
            status_code=problem.status,
            errors=[{"row": None, "field": None, "error": problem.detail, "error_zh": problem.extra["detail_zh"]}],
        )
    counts = await import_officers(session, person.principal, bodies, today(settings.tz), file.filename)
    notice = f"已导入 {counts['rows']} 行：新增 {counts['created']}，更新 {counts['updated']}，未变 {counts['unchanged']}"
    return redirect_with_flash(request, person, "/officers", notice=notice)


@router.get("/officers/{officer_id}")
async def officer_page(
    officer_id: str, request: Request, person: Person, _role: Reader, session: DbSession, settings: SettingsDep
) -> Response:
    officer = await get_officer(session, person.principal, officer_id)
    return page(
        request,
        "officer.html",
        {
            "officer": officer,
            "history": await history_of(session, officer),
            "statuses": STATUS_NAMES,
            "may_edit": person.principal.role is Role.admin,
            "today": today(settings.tz),
        },
        person=person,
    )


@router.post("/officers/{officer_id}/status")
async def officer_status(
    officer_id: str,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    settings: SettingsDep,
    status: Annotated[str, Form(max_length=16)] = "",
    effective_on: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    officer = await get_officer(session, person.principal, officer_id)
    try:
        body = OfficerUpdate(status=CertificateStatus(status), effective_on=effective_on or None, reason=reason.strip() or None)
    except (ValidationError, ValueError):
        raise Problem(
            422, "invalid-status-change", "状态变更需选择状态；暂扣、注销、吊销还须填写原因，生效日期格式为 YYYY-MM-DD。"
        ) from None
    await update_officer(session, person.principal, officer, body, today(settings.tz))
    return RedirectResponse(f"/officers/{officer.officer_id}", status_code=303)


@router.get(
    "/public/officers",
    dependencies=[public_budget(LIST), only("agency", "name", "unit", "certificate_number", "category", "sort", "cursor", "page", "limit")],
)
async def public_register(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    where: Annotated[PublicFilter, Depends(on_the_loop(public_filter))],
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
) -> Response:
    day = today(settings.tz)
    size = limit or PUBLIC_PAGE
    asked = {key: str(value) for key, value in asdict(where).items() if value and key != "sort"}
    if where.sort is not OfficerSort.name:  # the default order goes unsaid in the links
        asked["sort"] = where.sort.value
    total = await published_count(session, day, where)
    shown: dict[str, Any]
    if cursor:  # a link from before the pages were numbered: the page after the cursor, as it was
        officers, next_cursor = await published_page(session, day, where, cursor, size)
        shown = {
            "total": None,
            "previous": "/public/officers" + ("?" + urlencode(asked) if asked else ""),
            "next": "/public/officers?" + urlencode({**asked, "cursor": next_cursor}) if next_cursor else None,
        }
    else:
        officers = await published_numbered(session, day, where, (page_number - 1) * size, size)
        shown = pager(request, total, page_number, size)
    response = page(
        request,
        "public_officers.html",
        {
            "officers": officers,
            "today": day,
            "agency": where.agency or "",
            "agencies": await list_agencies(session),
            "filters": asked,
            "searching": any(key not in ("agency", "sort") for key in asked),
            "sort": where.sort.value,
            "sorts": PUBLIC_SORTS,
            "total": total,
            "pager": shown,
        },
    )
    response.headers.update(PUBLIC_CACHE)
    return response


VERIFY_FIELDS = frozenset({"certificate_number", "name"})


@router.get("/public/officers/verify")
async def verify_page(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    certificate_number: Annotated[str, Query(max_length=64)] = "",
    name: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """执法证查询: the form, and with a number and a name its answer (valid, suspended, revoked or unknown) — the
    API's check, spending the public budget as it does. Not cached: the answer is about today."""
    refuse_unknown(request, VERIFY_FIELDS)
    asked = bool(certificate_number.strip() and name.strip())
    await spend_public_budget(request, LIST if asked else 1)
    answer = await certificate_check(session, certificate_number, name, today(settings.tz)) if asked else None
    return page(
        request,
        "public_verify.html",
        {
            "answer": answer,
            "answer_text": name_of("certificate_check", answer) if answer else None,
            "certificate_number": certificate_number,
            "name": name,
            "incomplete": bool(certificate_number.strip() or name.strip()) and not asked,
            "today": today(settings.tz),
        },
    )
