import asyncio
from datetime import tzinfo
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from ..catalog.service import CatalogDep
from ..core.db import DbSession
from ..core.deps import SettingsDep, on_the_loop
from ..core.pagination import MAX_LIMIT
from ..core.principals import Principal, Role, require_roles
from ..core.problems import Problem
from ..core.public_side import ITEM, LIST, PUBLIC_CACHE, public_budget
from ..core.query import refuse_unknown
from ..core.times import today
from .schemas import (
    DrawCreate,
    DrawOut,
    InspectionConflictCreate,
    InspectionConflictOut,
    InspectionConflictWithdraw,
    InspectionPlanCreate,
    InspectionPlanOut,
    InspectionPlanPage,
    InspectionResultCreate,
    InspectionStatistics,
    InspectionTaskOut,
    InspectionTaskPage,
    InspectionTaskUpdate,
    PublicDrawOut,
    PublicInspectionResult,
    PublicInspectionResultPage,
    SubjectOut,
    SubjectPage,
    SubjectVersionOut,
)
from .service import (
    RESULT_PARAMS,
    ResultFilter,
    SubjectFilter,
    SubjectsRefused,
    adjust_task,
    agency_of,
    conflicts_of,
    create_plan,
    declare_conflict,
    draw_plan,
    draw_view,
    draws_of,
    due_dates,
    get_draw,
    get_plan,
    get_task,
    import_subjects,
    plan_page,
    public_draw_view,
    publish_result,
    published_all,
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
    task_view,
    verify_draw,
    withdraw_conflict,
)

router = APIRouter(prefix="/api/v1", tags=["inspections"])
public_router = APIRouter(prefix="/api/v1/public", tags=["public"])
Keeper = Annotated[Principal, require_roles(Role.admin)]
ResultRecorder = Annotated[Principal, require_roles(Role.admin, Role.case_system)]
Reader = Annotated[Principal, require_roles(Role.admin, Role.case_system, Role.auditor)]
Overseer = Annotated[Principal, require_roles(Role.admin, Role.auditor)]


# --- the 名录库 ------------------------------------------------------------------------------------


@router.post(
    "/subjects/import",
    response_model=SubjectVersionOut,
    summary="Import the 检查对象名录库 from a CSV or XLSX sheet: a new version, all rows or none (admin)",
    description="The whole 名录库: subjects the sheet lacks leave the pool, the sheet's snapshot (canonical JSON lines) is kept "
    "with its SHA-256. A CSV (UTF-8 with or without BOM, UTF-16 or GBK/GB18030) or the first sheet of an XLSX workbook; "
    "columns (Chinese or English headers): 统一社会信用代码/uscc, 名称/name, 主体类型/kind, 行业类别/category, "
    "所属区域/region, 住所/address, 风险等级/risk (低风险、中风险、高风险). Any bad row refuses the whole sheet "
    "(422 `import-refused`, every row's errors listed in Chinese).",
)
async def import_sheet(
    principal: Keeper,
    session: DbSession,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="a .csv (UTF-8 or GBK) or .xlsx file")],
) -> SubjectVersionOut:
    agency = agency_of(principal)
    data = await file.read(settings.max_sheet_bytes + 1)
    if len(data) > settings.max_sheet_bytes:
        raise Problem(
            413,
            "sheet-too-large",
            f"A sheet is at most {settings.max_sheet_bytes} bytes.",
            detail_zh=f"表格文件不能超过 {settings.max_sheet_bytes // (1024 * 1024)} MB。",
        )
    try:
        subjects = await read_subjects(file.filename or "", data, settings)
    except SubjectsRefused as refused:
        raise import_refused(refused) from None
    version = await import_subjects(session, principal, agency, subjects, file.filename)
    return SubjectVersionOut.of(version, settings.tz)


def import_refused(refused: SubjectsRefused) -> Problem:
    return Problem(
        422,
        "import-refused",
        f"Nothing was imported: {len(refused.errors)} problem(s) in the sheet.",
        detail_zh=f"未导入任何内容：表格中有 {len(refused.errors)} 处问题。",
        errors=refused.errors[:500],
    )


@router.get("/subjects", response_model=SubjectPage, summary="The 检查对象名录库 (its current version)")
async def list_subjects(
    principal: Reader,
    session: DbSession,
    category: Annotated[str | None, Query(max_length=100)] = None,
    region: Annotated[str | None, Query(max_length=100)] = None,
    risk: Annotated[str | None, Query(pattern="^(low|medium|high)$")] = None,
    q: Annotated[str | None, Query(max_length=100, description="any part of the name, or the 统一社会信用代码")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: str | None = None,
) -> SubjectPage:
    where = SubjectFilter(category=category or None, region=region or None, risk=risk, q=(q or "").strip() or None)
    rows, next_cursor = await subject_page(session, principal, where, cursor, limit)
    return SubjectPage(items=[SubjectOut.of(s) for s in rows], next_cursor=next_cursor)


@router.get("/subjects/versions", response_model=list[SubjectVersionOut], summary="Every import of the 名录库, newest first")
async def list_subject_versions(principal: Reader, session: DbSession, settings: SettingsDep) -> list[SubjectVersionOut]:
    return [SubjectVersionOut.of(v, settings.tz) for v in await subject_versions(session, principal)]


# --- 回避 -----------------------------------------------------------------------------------------


@router.post(
    "/inspection-conflicts",
    status_code=201,
    response_model=InspectionConflictOut,
    summary="Declare that an officer must not inspect a subject (回避)",
)
async def add_conflict(
    body: InspectionConflictCreate, principal: Keeper, session: DbSession, settings: SettingsDep
) -> InspectionConflictOut:
    return InspectionConflictOut.of(await declare_conflict(session, principal, body), settings.tz)


@router.get("/inspection-conflicts", response_model=list[InspectionConflictOut], summary="The declared conflicts (回避), newest first")
async def list_conflicts(
    principal: Reader,
    session: DbSession,
    settings: SettingsDep,
    withdrawn: Annotated[bool, Query(description="the withdrawn ones too")] = False,
) -> list[InspectionConflictOut]:
    return [InspectionConflictOut.of(c, settings.tz) for c in await conflicts_of(session, principal, withdrawn=withdrawn)]


@router.post(
    "/inspection-conflicts/{conflict_id}/withdraw",
    response_model=InspectionConflictOut,
    summary="Withdraw a declared conflict, for a reason",
)
async def remove_conflict(
    conflict_id: str, body: InspectionConflictWithdraw, principal: Keeper, session: DbSession, settings: SettingsDep
) -> InspectionConflictOut:
    return InspectionConflictOut.of(await withdraw_conflict(session, principal, conflict_id, body.reason), settings.tz)


# --- plans and draws -------------------------------------------------------------------------------


async def plan_out(session: AsyncSession, plan_id: str, principal: Principal, tz: tzinfo) -> InspectionPlanOut:
    plan = await get_plan(session, principal, plan_id)
    return InspectionPlanOut.of(plan, (await draws_of(session, [plan.id]))[plan.id], tz)


@router.post(
    "/inspection-plans",
    status_code=201,
    response_model=InspectionPlanOut,
    summary="Create a 抽查计划 (admin): its number and the commitment to the secret its draw will reveal",
    description="`ratio` is a percentage of the filtered pool (rounded up), `count` a number of subjects: give exactly one. "
    "`matter_code` must be an entry of the 随机抽查事项清单; its `enforcement_category` is the 执法类别 inspectors must hold.",
)
async def new_plan(
    body: InspectionPlanCreate, catalog: CatalogDep, principal: Keeper, session: DbSession, settings: SettingsDep
) -> JSONResponse:
    plan = await create_plan(session, catalog, principal, body, today(settings.tz))
    return JSONResponse(
        InspectionPlanOut.of(plan, [], settings.tz).model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/api/v1/inspection-plans/{plan.id}"},
    )


@router.get("/inspection-plans", response_model=InspectionPlanPage, summary="The agency's 抽查计划, newest first")
async def list_plans(
    principal: Reader,
    session: DbSession,
    settings: SettingsDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: str | None = None,
) -> InspectionPlanPage:
    rows, next_cursor = await plan_page(session, principal, year, cursor, limit)
    draws = await draws_of(session, [p.id for p in rows])
    return InspectionPlanPage(items=[InspectionPlanOut.of(p, draws[p.id], settings.tz) for p in rows], next_cursor=next_cursor)


@router.get("/inspection-plans/{plan_id}", response_model=InspectionPlanOut, summary="One 抽查计划 with its draws")
async def read_plan(plan_id: str, principal: Reader, session: DbSession, settings: SettingsDep) -> InspectionPlanOut:
    return await plan_out(session, plan_id, principal, settings.tz)


@router.post(
    "/inspection-plans/{plan_id}/draws",
    status_code=201,
    response_model=DrawOut,
    summary="Draw the plan's subjects and inspectors (双随机, algorithm rs-draw-v1; admin)",
    description="Reveals the secret the plan committed to; the seed is the secret, or SHA-256(secret ‖ `seed`) when a public "
    "value is given. A plan drawn already is drawn again only with a `reason` (both draws stay on record, the first superseded); "
    "409 `not-enough-inspectors` when fewer officers than `inspectors_per_task` are certified for the matter's 执法类别 today "
    "(after 回避). The draw's public page: /public/draws/{id}.",
)
async def new_draw(
    plan_id: str, principal: Keeper, session: DbSession, settings: SettingsDep, body: DrawCreate | None = None
) -> JSONResponse:
    plan = await get_plan(session, principal, plan_id)
    day = today(settings.tz)
    row = await draw_plan(session, principal, plan, body or DrawCreate(), day)  # no body: no public value, no reason
    out = await draw_view(session, row, settings.tz, day)
    return JSONResponse(out.model_dump(mode="json"), status_code=201, headers={"Location": f"/api/v1/draws/{row.id}"})


@router.get("/draws/{draw_id}", response_model=DrawOut, summary="One draw: seed, pool size and SHA-256, what was drawn, the tasks")
async def read_draw(draw_id: str, principal: Reader, session: DbSession, settings: SettingsDep) -> DrawOut:
    row = await get_draw(session, principal, draw_id)
    return await draw_view(session, row, settings.tz, today(settings.tz))


@router.get(
    "/draws/{draw_id}/pool",
    summary="The draw's pool snapshot: the canonical JSON lines whose SHA-256 is pool_sha256",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "one subject a line"}},
)
async def read_pool(draw_id: str, principal: Overseer, session: DbSession) -> Response:
    row = await get_draw(session, principal, draw_id)
    return Response(row.pool_snapshot.encode("utf-8"), media_type="application/x-ndjson; charset=utf-8")


@router.get("/draws/{draw_id}/verification", summary="Recompute the draw from its stored snapshot and seed (as `draws verify` does)")
async def verify_stored(draw_id: str, principal: Reader, session: DbSession) -> JSONResponse:
    row = await get_draw(session, principal, draw_id)
    report = await verify_draw(session, row.id)
    return JSONResponse(report.__dict__)


# --- tasks -------------------------------------------------------------------------------------------


@router.get("/inspection-tasks", response_model=InspectionTaskPage, summary="Inspection tasks: by plan, by status, or the overdue ones")
async def list_tasks(
    principal: Reader,
    session: DbSession,
    settings: SettingsDep,
    plan_id: Annotated[str | None, Query(max_length=32)] = None,
    status: Annotated[str | None, Query(pattern="^(assigned|done|superseded)$")] = None,
    overdue: Annotated[
        bool, Query(description="not inspected by the plan's due date, or a result not public within 20 working days")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: str | None = None,
) -> InspectionTaskPage:
    day = today(settings.tz)
    rows, next_cursor = await task_page(
        session, principal, day, plan_id=plan_id, status=status, overdue=overdue, cursor=cursor, limit=limit
    )
    due = await due_dates(session, rows)
    return InspectionTaskPage(
        items=[InspectionTaskOut.of(t, settings.tz, overdue=task_overdue(t, due[t.plan_id], day)) for t in rows], next_cursor=next_cursor
    )


@router.get("/inspection-tasks/{task_id}", response_model=InspectionTaskOut, summary="One inspection task with its adjustments")
async def read_task(task_id: str, principal: Reader, session: DbSession, settings: SettingsDep) -> InspectionTaskOut:
    task = await get_task(session, principal, task_id)
    return await task_view(session, task, settings.tz, today(settings.tz))


@router.patch(
    "/inspection-tasks/{task_id}",
    response_model=InspectionTaskOut,
    summary="Change a task's inspectors, for a reason (回避 and the like; admin, audited)",
    description="The new inspectors must be certified today for the matter's 执法类别 and free of declared conflicts with the subject.",
)
async def change_task(
    task_id: str, body: InspectionTaskUpdate, principal: Keeper, session: DbSession, settings: SettingsDep
) -> InspectionTaskOut:
    task = await get_task(session, principal, task_id)
    day = today(settings.tz)
    await adjust_task(session, principal, task, body, day)
    return await task_view(session, task, settings.tz, day)


@router.post(
    "/inspection-tasks/{task_id}/result",
    response_model=InspectionTaskOut,
    summary="Record a task's result (admin, case_system): due on the public list within 20 working days",
    description="`case_id` is the inspection case (procedure inspection-routine), required for `case_filed`; `penalty_case_id` the "
    "penalty case filed, whose published decision the public result links to (查处结果). A result may be recorded again until published.",
)
async def add_result(
    task_id: str, body: InspectionResultCreate, catalog: CatalogDep, principal: ResultRecorder, session: DbSession, settings: SettingsDep
) -> InspectionTaskOut:
    task = await get_task(session, principal, task_id)
    day = today(settings.tz)
    await record_result(session, catalog, principal, task, body, day)
    return await task_view(session, task, settings.tz, day)


@router.post(
    "/inspection-tasks/{task_id}/publish", response_model=InspectionTaskOut, summary="Publish a task's result on the public list (admin)"
)
async def publish_task(task_id: str, principal: Keeper, session: DbSession, settings: SettingsDep) -> InspectionTaskOut:
    task = await get_task(session, principal, task_id)
    await publish_result(session, principal, task)
    return await task_view(session, task, settings.tz, today(settings.tz))


# --- results, exports and statistics ----------------------------------------------------------------


@router.get(
    "/inspection-results/export",
    summary="The published results as CSV or XLSX (the public list's columns)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}},
)
async def export_results(
    request: Request,
    principal: Overseer,
    session: DbSession,
    settings: SettingsDep,
    where: Annotated[ResultFilter, Depends(on_the_loop(result_filter))],
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
) -> Response:
    refuse_unknown(request, ("year", "matter", "agency", "format"))
    rows = await published_all(session, principal, where, today(settings.tz))
    body, media_type = await asyncio.to_thread(results_file, rows, format)
    name = f"inspection-results-{today(settings.tz).isoformat()}.{format}"
    return Response(
        body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Records": str(len(rows))}
    )


@router.get("/inspection-statistics", response_model=InspectionStatistics, summary="双随机 figures of a year: plans, coverage, results")
async def inspection_statistics(
    principal: Overseer, session: DbSession, settings: SettingsDep, year: Annotated[int, Query(ge=2000, le=2100)]
) -> InspectionStatistics:
    return await statistics(session, principal, year, today(settings.tz))


# --- the public side --------------------------------------------------------------------------------


@public_router.get(
    "/inspection-results",
    response_model=PublicInspectionResultPage,
    dependencies=[public_budget(LIST)],
    summary="抽查结果公示: published 双随机 results, newest first (no token)",
    description="计划编号, 计划名称, 任务编号, 抽查类型, 检查机关, 市场主体名称, 统一社会信用代码, 检查完成日期, 检查结果, 备注; "
    "filtered by the plans' `year`, a `matter` of the 随机抽查事项清单 and an `agency`. Unknown parameters: 400.",
)
async def public_results(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    where: Annotated[ResultFilter, Depends(on_the_loop(result_filter))],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> JSONResponse:
    refuse_unknown(request, RESULT_PARAMS)
    rows, next_cursor = await published_page(session, where, cursor, limit, today(settings.tz))
    body = PublicInspectionResultPage(
        items=[PublicInspectionResult.of(r.task, r.plan, r.agency_name, r.publication_id, settings.tz) for r in rows],
        next_cursor=next_cursor,
    )
    return JSONResponse(body.model_dump(mode="json"), headers=PUBLIC_CACHE)


@public_router.get(
    "/draws/{draw_id}",
    response_model=PublicDrawOut,
    dependencies=[public_budget(ITEM)],
    summary="A draw as anyone may check it: commitment, secret, seed, pool size and SHA-256, algorithm, the subjects drawn (no token)",
)
async def public_draw(draw_id: str, session: DbSession, settings: SettingsDep) -> JSONResponse:
    out = await public_draw_view(session, draw_id, settings.tz)
    return JSONResponse(out.model_dump(mode="json"), headers=PUBLIC_CACHE)
