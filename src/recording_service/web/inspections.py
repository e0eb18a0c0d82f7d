"""双随机's pages: plans (admin draws, adjusts and publishes; auditors read), the 名录库 and 回避, the public result list
and each draw's public page, where anyone can check the commitment, the seed and the pool's SHA-256."""

import asyncio
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from ..catalog.service import CatalogDep
from ..core.db import DbSession, discard
from ..core.deps import SettingsDep, on_the_loop
from ..core.messages import errors_zh, messages, names, problem_zh
from ..core.principals import ALL_AGENCIES, Role
from ..core.problems import Problem
from ..core.public_side import ITEM, LIST, PUBLIC_CACHE, public_budget
from ..core.query import refuse_unknown
from ..core.times import today
from ..inspections.draw import ALGORITHM
from ..inspections.schemas import (
    DrawCreate,
    InspectionConflictCreate,
    InspectionPlanCreate,
    InspectionResultCreate,
    InspectionTaskUpdate,
    PublicInspectionResult,
    inspection_type,
)
from ..inspections.service import (
    RESULT_PARAMS,
    ResultFilter,
    SubjectFilter,
    SubjectsRefused,
    adjust_task,
    conflicts_of,
    create_plan,
    declare_conflict,
    draw_plan,
    draws_of,
    get_plan,
    get_task,
    import_subjects,
    plan_page,
    public_draw_view,
    publish_result,
    published_all,
    published_count,
    published_page,
    read_subjects,
    record_result,
    result_filter,
    results_file,
    statistics,
    subject_page,
    subject_versions,
    task_overdue,
    task_page,
    tasks_of,
    withdraw_conflict,
)
from ..officers.service import names_of, split_list
from .flash import redirect_with_flash
from .render import page
from .session import FormPerson, Person, require_page_roles

router = APIRouter(include_in_schema=False)
Keeper = Annotated[object, require_page_roles(Role.admin)]
Reader = Annotated[object, require_page_roles(Role.admin, Role.auditor)]
PUBLIC_PAGE = 30
RESULT_NAMES = names("inspection_result")
RISK_NAMES = names("subject_risk")


def _said(exc: ValidationError | Problem, form: str = "plan") -> str:
    if isinstance(exc, Problem):
        return problem_zh(exc)
    return "；".join(dict.fromkeys(errors_zh(exc.errors(), form)))


def _matters(catalog) -> list:
    return list(catalog.inspection_matters.items) if catalog.inspection_matters else []


def _keeps(person) -> bool:
    """Whether the person may change anything here: an administrator of one agency (the whole-service one reads)."""
    return person.principal.role is Role.admin and person.principal.agency != ALL_AGENCIES


# --- plans ------------------------------------------------------------------------------------------


async def _plans_page(
    request: Request, person, session, settings, catalog, year: int, *, errors=None, form=None, status_code=200
) -> Response:
    day = today(settings.tz)
    plans, _ = await plan_page(session, person.principal, year, None, 500)
    draws = await draws_of(session, [p.id for p in plans])
    overdue, _ = await task_page(session, person.principal, day, plan_id=None, status=None, overdue=True, cursor=None, limit=200)
    return page(
        request,
        "inspections.html",
        {
            "plans": plans,
            "draws": draws,
            "year": year,
            "years": list(range(day.year + 1, day.year - 5, -1)),
            "figures": await statistics(session, person.principal, year, day),
            "overdue": overdue,
            "plan_numbers": {p.id: p.number for p in plans},
            "matters": _matters(catalog),
            "may_edit": _keeps(person),
            "errors": errors or [],
            "form": form or {},
            "type_names": names("inspection_type"),
            "status_names": names("plan_status"),
            "task_status_names": names("task_status"),
            "result_names": RESULT_NAMES,
            "risk_names": RISK_NAMES,
            "inspection_type": inspection_type,
            "today": day,
        },
        status_code=status_code,
        person=person,
    )


@router.get("/inspections/results.{file_format}")
async def results_sheet(
    file_format: str,
    request: Request,
    person: Person,
    _role: Reader,
    session: DbSession,
    settings: SettingsDep,
    where: Annotated[ResultFilter, Depends(on_the_loop(result_filter))],
) -> Response:
    """抽查结果 as published, for the 双公示 and the 企业信用信息 exchange: the public list's columns, CSV or XLSX."""
    refuse_unknown(request, ("year", "matter", "agency"))
    if file_format not in ("csv", "xlsx"):
        raise Problem(404, "not-found", "没有这种格式的导出（可选 CSV 或 XLSX）。")
    rows = await published_all(session, person.principal, where, today(settings.tz))
    body, media_type = await asyncio.to_thread(results_file, rows, file_format)
    name = f"抽查结果公示-{today(settings.tz).isoformat()}.{file_format}"
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"inspection-results.{file_format}\"; filename*=UTF-8''{quote(name)}",
            "X-Records": str(len(rows)),
            "Cache-Control": "no-store",
        },
    )


@router.get("/inspections")
async def plans_page(
    request: Request,
    person: Person,
    _role: Reader,
    session: DbSession,
    settings: SettingsDep,
    catalog: CatalogDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    refuse_unknown(request, ("year",))
    return await _plans_page(request, person, session, settings, catalog, year or today(settings.tz).year)


@router.post("/inspections/plans")
async def new_plan(
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    settings: SettingsDep,
    catalog: CatalogDep,
    matter_code: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
    year: Annotated[str, Form(max_length=4)] = "",
    category: Annotated[str, Form(max_length=2000)] = "",
    region: Annotated[str, Form(max_length=2000)] = "",
    risk: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI's form default)
    measure: Annotated[str, Form(pattern="^(ratio|count)$")] = "ratio",
    amount: Annotated[str, Form(max_length=10)] = "",
    inspectors_per_task: Annotated[str, Form(max_length=2)] = "2",
    due_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    form = {
        "matter_code": matter_code,
        "name": name,
        "year": year,
        "category": category,
        "region": region,
        "risk": risk,
        "measure": measure,
        "amount": amount,
        "inspectors_per_task": inspectors_per_task,
        "due_on": due_on,
    }
    try:
        body = InspectionPlanCreate.model_validate(
            {
                "matter_code": matter_code,
                "name": name,
                "year": year,
                "filters": {"category": split_list(category), "region": split_list(region), "risk": risk},
                "ratio": amount if measure == "ratio" else None,
                "count": amount if measure == "count" else None,
                "inspectors_per_task": inspectors_per_task,
                "due_on": due_on,
            }
        )
        plan = await create_plan(session, catalog, person.principal, body, today(settings.tz))
    except (ValidationError, Problem) as exc:
        await discard(session)
        status = exc.status if isinstance(exc, Problem) else 422
        year_shown = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else today(settings.tz).year
        return await _plans_page(
            request, person, session, settings, catalog, year_shown, errors=[_said(exc)], form=form, status_code=status
        )
    return RedirectResponse(f"/inspections/plans/{plan.id}", status_code=303)


@router.get("/inspections/plans/{plan_id}")
async def plan_page_view(
    plan_id: str, request: Request, person: Person, _role: Reader, session: DbSession, settings: SettingsDep
) -> Response:
    refuse_unknown(request, ())
    plan = await get_plan(session, person.principal, plan_id)
    draws = (await draws_of(session, [plan.id]))[plan.id]
    current = next((d for d in draws if d.status == "current"), None)
    tasks = await tasks_of(session, current.id) if current else []
    officers = await names_of(session, [(plan.agency, o) for t in tasks for o in {*t.inspectors, *t.drawn_inspectors}])
    day = today(settings.tz)
    return page(
        request,
        "inspection_plan.html",
        {
            "plan": plan,
            "draws": draws,
            "current": current,
            "tasks": tasks,
            "overdue": {t.id: task_overdue(t, plan.due_on, day) for t in tasks},
            "officer": lambda officer_id: officers.label(plan.agency, officer_id),
            "kind": inspection_type(plan.filters or {}),
            "type_names": names("inspection_type"),
            "status_names": names("plan_status"),
            "task_status_names": names("task_status"),
            "draw_status_names": names("draw_status"),
            "result_names": RESULT_NAMES,
            "risk_names": RISK_NAMES,
            "algorithm": ALGORITHM,
            "may_edit": _keeps(person),
            "today": day,
            "tz": settings.tz,
        },
        person=person,
    )


@router.post("/inspections/plans/{plan_id}/draw")
async def draw_page(
    plan_id: str,
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    settings: SettingsDep,
    seed: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    plan = await get_plan(session, person.principal, plan_id)
    back = f"/inspections/plans/{plan.id}"
    try:
        body = DrawCreate(seed=seed or None, reason=reason or None)
        row = await draw_plan(session, person.principal, plan, body, today(settings.tz))
    except (ValidationError, Problem) as exc:
        await discard(session)
        return redirect_with_flash(request, person, back, error=_said(exc)[:280])
    return redirect_with_flash(request, person, back, notice=f"已完成第 {row.seq} 次抽取：抽中 {len(row.drawn)} 个检查对象。")


@router.post("/inspections/tasks/{task_id}/adjust")
async def adjust_page(
    task_id: str,
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    settings: SettingsDep,
    inspectors: Annotated[str, Form(max_length=1000)] = "",
    adjustment_reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    task = await get_task(session, person.principal, task_id)
    back, number = f"/inspections/plans/{task.plan_id}", task.number  # read before a refusal's rollback expires the row
    try:
        body = InspectionTaskUpdate(inspectors=split_list(inspectors), adjustment_reason=adjustment_reason)
        await adjust_task(session, person.principal, task, body, today(settings.tz))
    except (ValidationError, Problem) as exc:
        await discard(session)
        return redirect_with_flash(request, person, back, error=f"{number}：{_said(exc)}"[:280])
    return redirect_with_flash(request, person, back, notice=f"{number} 的检查人员已调整。")


@router.post("/inspections/tasks/{task_id}/result")
async def result_page(
    task_id: str,
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    settings: SettingsDep,
    catalog: CatalogDep,
    checked_on: Annotated[str, Form(max_length=10)] = "",
    result: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    case_id: Annotated[str, Form(max_length=32)] = "",
    penalty_case_id: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    task = await get_task(session, person.principal, task_id)
    back, number = f"/inspections/plans/{task.plan_id}", task.number  # read before a refusal's rollback expires the row
    try:
        body = InspectionResultCreate.model_validate(
            {"checked_on": checked_on, "result": result, "note": note, "case_id": case_id, "penalty_case_id": penalty_case_id}
        )
        await record_result(session, catalog, person.principal, task, body, today(settings.tz))
    except (ValidationError, Problem) as exc:
        await discard(session)
        return redirect_with_flash(request, person, back, error=f"{number}：{_said(exc)}"[:280])
    return redirect_with_flash(request, person, back, notice=f"{number} 的检查结果已登记，请在公示期限内公示。")


@router.post("/inspections/tasks/{task_id}/publish")
async def publish_page(task_id: str, request: Request, person: FormPerson, _role: Keeper, session: DbSession) -> Response:
    task = await get_task(session, person.principal, task_id)
    back, number = f"/inspections/plans/{task.plan_id}", task.number  # read before a refusal's rollback expires the row
    try:
        await publish_result(session, person.principal, task)
    except Problem as exc:
        await discard(session)
        return redirect_with_flash(request, person, back, error=f"{number}：{_said(exc)}"[:280])
    return redirect_with_flash(request, person, back, notice=f"{number} 的检查结果已公示。")


# --- the 名录库 and 回避 ---------------------------------------------------------------------------


async def _subjects_page(request: Request, person, session, settings, where: SubjectFilter, *, errors=None, status_code=200) -> Response:
    subjects, more = await subject_page(session, person.principal, where, None, 300)
    return page(
        request,
        "inspection_subjects.html",
        {
            "subjects": subjects,
            "more": more is not None,
            "versions": await subject_versions(session, person.principal),
            "conflicts": await conflicts_of(session, person.principal),
            "where": where,
            "risk_names": RISK_NAMES,
            "source_names": names("conflict_source"),
            "may_edit": _keeps(person),
            "errors": errors or [],
            "field_labels": messages().fields["subject"],
            "tz": settings.tz,
        },
        status_code=status_code,
        person=person,
    )


@router.get("/inspections/subjects")
async def subjects_page(
    request: Request,
    person: Person,
    _role: Reader,
    session: DbSession,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=100)] = "",
    category: Annotated[str, Query(max_length=100)] = "",
    region: Annotated[str, Query(max_length=100)] = "",
    risk: Annotated[str, Query(pattern="^(|low|medium|high)$")] = "",
) -> Response:
    refuse_unknown(request, ("q", "category", "region", "risk"))
    where = SubjectFilter(category=category.strip() or None, region=region.strip() or None, risk=risk or None, q=q.strip() or None)
    return await _subjects_page(request, person, session, settings, where)


@router.post("/inspections/subjects/import")
async def subjects_import_page(
    request: Request, person: FormPerson, _role: Keeper, session: DbSession, settings: SettingsDep, file: Annotated[UploadFile, File()]
) -> Response:
    data = await file.read(settings.max_sheet_bytes + 1)
    try:
        if len(data) > settings.max_sheet_bytes:
            raise Problem(
                413, "sheet-too-large", "", detail_zh=f"表格文件不能超过 {settings.max_sheet_bytes // (1024 * 1024)} MB，未导入任何内容。"
            )
        subjects = await read_subjects(file.filename or "", data, settings)
        version = await import_subjects(session, person.principal, person.principal.agency, subjects, file.filename)
    except SubjectsRefused as refused:
        await discard(session)
        return await _subjects_page(request, person, session, settings, SubjectFilter(), errors=refused.errors[:500], status_code=422)
    except Problem as problem:
        await discard(session)
        errors = [{"row": None, "field": None, "error": problem.detail, "error_zh": problem_zh(problem)}]
        return await _subjects_page(request, person, session, settings, SubjectFilter(), errors=errors, status_code=problem.status)
    notice = f"已导入名录库第 {version.version} 版：{version.rows} 个检查对象（新增 {version.added}，移出 {version.removed}，变更 {version.changed}）。"
    return redirect_with_flash(request, person, "/inspections/subjects", notice=notice)


@router.post("/inspections/conflicts")
async def conflict_page(
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    officer_id: Annotated[str, Form(max_length=64)] = "",
    uscc: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    source: Annotated[str, Form(pattern="^(agency|officer)$")] = "agency",
) -> Response:
    try:
        body = InspectionConflictCreate.model_validate({"officer_id": officer_id.strip(), "uscc": uscc, "reason": reason, "source": source})
        await declare_conflict(session, person.principal, body)
    except (ValidationError, Problem) as exc:
        await discard(session)
        return redirect_with_flash(request, person, "/inspections/subjects", error=_said(exc)[:280])
    return redirect_with_flash(
        request, person, "/inspections/subjects", notice="回避情形已登记，今后的抽取和调整不会安排该人员检查该对象。"
    )


@router.post("/inspections/conflicts/{conflict_id}/withdraw")
async def conflict_withdraw_page(
    conflict_id: str,
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if not reason.strip():
        return redirect_with_flash(request, person, "/inspections/subjects", error="撤销回避登记须说明原因。")
    try:
        await withdraw_conflict(session, person.principal, conflict_id, reason)
    except Problem as exc:
        await discard(session)
        return redirect_with_flash(request, person, "/inspections/subjects", error=_said(exc)[:280])
    return redirect_with_flash(request, person, "/inspections/subjects", notice="回避登记已撤销。")


# --- the public side --------------------------------------------------------------------------------


@router.get("/public/inspection-results", dependencies=[public_budget(LIST)])
async def public_results_page(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    catalog: CatalogDep,
    year: Annotated[str, Query(pattern=r"^(|20\d\d|2100)$")] = "",
    matter: Annotated[str, Query(max_length=64)] = "",
    agency: Annotated[str, Query(max_length=64)] = "",
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> Response:
    refuse_unknown(request, [p for p in RESULT_PARAMS if p != "limit"])
    where = ResultFilter(year=int(year) if year else None, matter=matter.strip() or None, agency=agency.strip() or None)  # "全部": empty
    day = today(settings.tz)
    rows, next_cursor = await published_page(session, where, cursor, PUBLIC_PAGE, day)
    asked = {k: str(v) for k, v in (("year", where.year), ("matter", where.matter), ("agency", where.agency)) if v}
    response = page(
        request,
        "public_inspection_results.html",
        {
            "items": [PublicInspectionResult.of(r.task, r.plan, r.agency_name, r.publication_id, settings.tz) for r in rows],
            "where": where,
            "matters": _matters(catalog),
            "years": list(range(day.year, day.year - 6, -1)),
            "total": await published_count(session, where),
            "first_page": not cursor,
            "next_url": "/public/inspection-results?" + urlencode({**asked, "cursor": next_cursor}) if next_cursor else None,
            "first_url": "/public/inspection-results" + ("?" + urlencode(asked) if asked else ""),
        },
    )
    response.headers.update(PUBLIC_CACHE)
    return response


@router.get("/public/draws/{draw_id}", dependencies=[public_budget(ITEM)])
async def public_draw_page(draw_id: str, request: Request, session: DbSession, settings: SettingsDep) -> Response:
    refuse_unknown(request, ())
    shown = await public_draw_view(session, draw_id, settings.tz)
    response = page(
        request,
        "public_draw.html",
        {"d": shown, "type_names": names("inspection_type"), "draw_status_names": names("draw_status")},
    )
    response.headers.update(PUBLIC_CACHE)
    return response
