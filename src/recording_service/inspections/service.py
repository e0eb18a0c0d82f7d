"""双随机、一公开: the 名录库 and its versions, 回避, plans, the verifiable draw, tasks, adjustments, results and their
publication. Every change in the request's transaction with its audit event."""

import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, tzinfo
from typing import Annotated, Any, TypedDict

import anyio
from fastapi import Query
from pydantic import ValidationError
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..agencies.service import agency_codes_under, list_agencies
from ..audit.service import Actor, record
from ..cases.service import get_case
from ..catalog.schemas import Catalog, InspectionMatter
from ..core.config import Settings
from ..core.db import utcnow
from ..core.messages import errors_zh
from ..core.pagination import keyset, page_of
from ..core.principals import ALL_AGENCIES, Principal, scoped_to_agency
from ..core.problems import Problem
from ..core.sheets import SheetLimits, SheetRefused, Table, csv_bytes, read_table_off_loop, xlsx_bytes
from ..officers.service import CertifiedOfficer, certified_for
from ..publication.service import public_penalties_of_cases
from ..workdays.service import working_calendar
from .draw import (
    ALGORITHM,
    NotEnoughInspectors,
    StoredDraw,
    Verification,
    commitment_of,
    draw,
    seed_of,
    sha256_text,
    snapshot_of,
    verify,
    wanted_count,
)
from .models import (
    InspectionConflict,
    InspectionDraw,
    InspectionPlan,
    InspectionSubject,
    InspectionSubjectVersion,
    InspectionTask,
    InspectionTaskAdjustment,
)
from .schemas import (
    DrawCreate,
    DrawOut,
    InspectionConflictCreate,
    InspectionPlanCreate,
    InspectionPlanFigures,
    InspectionResult,
    InspectionResultCreate,
    InspectionStatistics,
    InspectionTaskOut,
    InspectionTaskUpdate,
    PublicDrawOut,
    PublicInspectionResult,
    SubjectFields,
    SubjectRisk,
)

PUBLISH_WORKING_DAYS = 20  # a result is due on the public list within 20 working days of the check
INSPECTION_PROCEDURE = "inspection-routine"


def agency_of(principal: Principal) -> str:
    if principal.agency == ALL_AGENCIES:
        raise Problem(
            403,
            "agency-required",
            "Inspections are kept per agency: use a token of that agency.",
            detail_zh="双随机抽查按单位办理，请以本单位的身份操作。",
        )
    return principal.agency


# --- the 名录库 ------------------------------------------------------------------------------------

SUBJECT_COLUMNS = {
    "uscc": ("uscc", "统一社会信用代码", "统一社会信用代码/注册号", "信用代码"),
    "name": ("name", "名称", "市场主体名称", "主体名称", "单位名称"),
    "kind": ("kind", "主体类型", "类型"),
    "category": ("category", "行业类别", "行业", "类别"),
    "region": ("region", "所属区域", "区域", "辖区"),
    "address": ("address", "住所", "地址", "经营场所"),
    "risk": ("risk", "风险等级", "风险"),
}
RISK_BY_NAME = {
    "low": SubjectRisk.low,
    "低": SubjectRisk.low,
    "低风险": SubjectRisk.low,
    "medium": SubjectRisk.medium,
    "中": SubjectRisk.medium,
    "中风险": SubjectRisk.medium,
    "high": SubjectRisk.high,
    "高": SubjectRisk.high,
    "高风险": SubjectRisk.high,
}
MAX_SUBJECTS = 50_000


class RowError(TypedDict):
    row: int | None
    field: str | None
    error: str
    error_zh: str


class SubjectsRefused(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problems")
        self.errors = errors


def _header_rows(table: Table) -> list[tuple[int, dict[str, str]]]:
    positions: dict[str, int] = {}
    for name, headings in SUBJECT_COLUMNS.items():
        found = [i for i, cell in enumerate(table.header) if cell.strip() in headings]
        if found:
            positions[name] = found[0]
    missing = [SUBJECT_COLUMNS[name][1] for name in ("uscc", "name") if name not in positions]
    if missing:
        raise SubjectsRefused(
            [{"row": 1, "field": None, "error": f"missing columns: {', '.join(missing)}", "error_zh": f"缺少列：{'、'.join(missing)}"}]
        )
    return [(number, {name: row[i] for name, i in positions.items()}) for number, row in table.rows]


def parse_subjects(rows: list[tuple[int, dict[str, str]]]) -> list[SubjectFields]:
    """Every row checked; any error refuses the whole sheet, each named by row and field in Chinese."""
    parsed: list[SubjectFields] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        risk_text = (row.get("risk") or "").strip()
        risk = RISK_BY_NAME.get(risk_text.lower() if risk_text.isascii() else risk_text) if risk_text else None
        if risk_text and risk is None:
            errors.append(
                {
                    "row": number,
                    "field": "risk",
                    "error": f"risk {risk_text!r} is not one of low, medium, high",
                    "error_zh": f"第 {number} 行 风险等级：“{risk_text}”不是 低风险、中风险、高风险 之一",
                }
            )
            continue
        try:
            subject = SubjectFields.model_validate({**{k: v for k, v in row.items() if k != "risk"}, "risk": risk})
        except ValidationError as exc:
            for error, said in zip(exc.errors(), errors_zh(exc.errors(), "subject", number)):
                errors.append(
                    {"row": number, "field": ".".join(str(p) for p in error["loc"]) or None, "error": error["msg"], "error_zh": said}
                )
            continue
        if subject.uscc in seen:
            errors.append(
                {
                    "row": number,
                    "field": "uscc",
                    "error": f"{subject.uscc} appears twice in the sheet (row {seen[subject.uscc]})",
                    "error_zh": f"第 {number} 行 统一社会信用代码：{subject.uscc} 与第 {seen[subject.uscc]} 行重复",
                }
            )
            continue
        seen[subject.uscc] = number
        parsed.append(subject)
    if errors:
        raise SubjectsRefused(errors)
    if not parsed:
        raise SubjectsRefused([{"row": None, "field": None, "error": "the sheet holds no subjects", "error_zh": "表格中没有检查对象。"}])
    return parsed


async def read_subjects(filename: str, data: bytes, settings: Settings) -> list[SubjectFields]:
    """A CSV (UTF-8 with or without BOM, UTF-16, GBK/GB18030) or XLSX sheet, read and checked off the event loop."""
    limits = SheetLimits(max_rows=MAX_SUBJECTS, max_unpacked_bytes=settings.max_sheet_unpacked_bytes)
    try:
        table = await read_table_off_loop(filename, data, limits)
    except SheetRefused as refused:
        if refused.status == 422:
            raise SubjectsRefused([{"row": None, "field": None, "error": refused.detail, "error_zh": refused.detail_zh}]) from None
        raise Problem(refused.status, refused.code, refused.detail, detail_zh=refused.detail_zh) from None
    return await anyio.to_thread.run_sync(lambda: parse_subjects(_header_rows(table)))


def _line(subject: SubjectFields | InspectionSubject) -> dict[str, Any]:
    risk = subject.risk.value if isinstance(subject.risk, SubjectRisk) else subject.risk
    return {
        "uscc": subject.uscc,
        "name": subject.name,
        "kind": subject.kind,
        "category": subject.category,
        "region": subject.region,
        "address": subject.address,
        "risk": risk,
    }


async def current_version(session: AsyncSession, agency: str) -> int:
    found = (
        await session.execute(select(func.max(InspectionSubjectVersion.version)).where(InspectionSubjectVersion.agency == agency))
    ).scalar_one()
    return int(found or 0)


async def import_subjects(
    session: AsyncSession, who: Actor | Principal, agency: str, subjects: list[SubjectFields], filename: str | None
) -> InspectionSubjectVersion:
    """The sheet becomes the agency's 名录库 as a new version (its snapshot kept); subjects it lacks leave the pool."""
    before = {
        s.uscc: _line(s) for s in (await session.execute(select(InspectionSubject).where(InspectionSubject.agency == agency))).scalars()
    }
    lines = [_line(s) for s in subjects]
    after = {line["uscc"]: line for line in lines}
    snapshot = snapshot_of(lines)
    version = await current_version(session, agency) + 1
    row = InspectionSubjectVersion(
        agency=agency,
        version=version,
        filename=(filename or None) and filename[:300],
        rows=len(lines),
        added=len(after.keys() - before.keys()),
        removed=len(before.keys() - after.keys()),
        changed=sum(1 for uscc in after.keys() & before.keys() if after[uscc] != before[uscc]),
        sha256=sha256_text(snapshot),
        snapshot=snapshot,
        created_at=utcnow(),
        created_by=who.name or "",
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise Problem(409, "import-conflict", "Another import of this 名录库 ran at the same time; try again.") from None
    await session.execute(delete(InspectionSubject).where(InspectionSubject.agency == agency))
    session.add_all([InspectionSubject(agency=agency, version=version, **line) for line in lines])
    await session.flush()
    await record(
        session,
        who,
        "inspection.subjects_imported",
        agency=agency,
        payload={
            "version": version,
            "filename": row.filename,
            "rows": row.rows,
            "added": row.added,
            "removed": row.removed,
            "changed": row.changed,
            "sha256": row.sha256,
        },
    )
    return row


@dataclass(frozen=True)
class SubjectFilter:
    category: str | None = None
    region: str | None = None
    risk: str | None = None
    q: str | None = None


def visible_subjects(principal: Principal, where: SubjectFilter) -> Select[InspectionSubject]:
    query = scoped_to_agency(select(InspectionSubject), InspectionSubject.agency, principal)
    if where.category:
        query = query.where(InspectionSubject.category == where.category)
    if where.region:
        query = query.where(InspectionSubject.region == where.region)
    if where.risk:
        query = query.where(InspectionSubject.risk == where.risk)
    if where.q:
        query = query.where(or_(InspectionSubject.name.contains(where.q, autoescape=True), InspectionSubject.uscc == where.q.upper()))
    return query


async def subject_page(
    session: AsyncSession, principal: Principal, where: SubjectFilter, cursor: str | None, limit: int
) -> tuple[list[InspectionSubject], str | None]:
    keys = [InspectionSubject.agency, InspectionSubject.uscc]
    rows = (await session.execute(keyset(visible_subjects(principal, where), keys, cursor, limit))).scalars().all()
    return page_of(list(rows), ["agency", "uscc"], limit)


async def subject_versions(session: AsyncSession, principal: Principal) -> list[InspectionSubjectVersion]:
    query = scoped_to_agency(select(InspectionSubjectVersion), InspectionSubjectVersion.agency, principal)
    return list(
        (
            await session.execute(query.order_by(InspectionSubjectVersion.agency, InspectionSubjectVersion.version.desc()).limit(500))
        ).scalars()
    )


# --- 回避 -----------------------------------------------------------------------------------------


async def declare_conflict(session: AsyncSession, principal: Principal, body: InspectionConflictCreate) -> InspectionConflict:
    agency = agency_of(principal)
    conflict = InspectionConflict(
        agency=agency,
        officer_id=body.officer_id,
        uscc=body.uscc,
        source=body.source.value,
        reason=body.reason.strip(),
        declared_at=utcnow(),
        declared_by=principal.name,
    )
    session.add(conflict)
    await session.flush()
    await record(
        session,
        principal,
        "inspection.conflict_declared",
        agency=agency,
        payload={
            "conflict_id": conflict.id,
            "officer_id": conflict.officer_id,
            "uscc": conflict.uscc,
            "source": conflict.source,
            "reason": conflict.reason,
        },
    )
    return conflict


async def conflicts_of(session: AsyncSession, principal: Principal, *, withdrawn: bool = False) -> list[InspectionConflict]:
    query = scoped_to_agency(select(InspectionConflict), InspectionConflict.agency, principal)
    if not withdrawn:
        query = query.where(InspectionConflict.withdrawn_at.is_(None))
    return list((await session.execute(query.order_by(InspectionConflict.declared_at.desc(), InspectionConflict.id).limit(5000))).scalars())


async def withdraw_conflict(session: AsyncSession, principal: Principal, conflict_id: str, reason: str) -> InspectionConflict:
    conflict = (
        await session.execute(
            scoped_to_agency(select(InspectionConflict), InspectionConflict.agency, principal).where(InspectionConflict.id == conflict_id)
        )
    ).scalar_one_or_none()
    if conflict is None:
        raise Problem(404, "conflict-not-found", f"No declared conflict {conflict_id}.", detail_zh="没有这条回避登记。")
    if conflict.withdrawn_at is not None:
        raise Problem(409, "conflict-withdrawn", "The conflict was already withdrawn.", detail_zh="这条回避登记已经撤销。")
    conflict.withdrawn_at = utcnow()
    conflict.withdrawn_by = principal.name
    conflict.withdrawn_reason = reason.strip()
    await session.flush()
    await record(
        session,
        principal,
        "inspection.conflict_withdrawn",
        agency=conflict.agency,
        payload={"conflict_id": conflict.id, "officer_id": conflict.officer_id, "uscc": conflict.uscc, "reason": conflict.withdrawn_reason},
    )
    return conflict


async def _conflict_pairs(session: AsyncSession, agency: str) -> set[tuple[str, str]]:
    rows = await session.execute(
        select(InspectionConflict.officer_id, InspectionConflict.uscc).where(
            InspectionConflict.agency == agency, InspectionConflict.withdrawn_at.is_(None)
        )
    )
    return {(officer_id, uscc) for officer_id, uscc in rows.all()}


# --- plans ------------------------------------------------------------------------------------------


def matter_of(catalog: Catalog, code: str) -> InspectionMatter:
    matters = catalog.inspection_matters.items if catalog.inspection_matters else []
    for matter in matters:
        if matter.code == code:
            return matter
    raise Problem(
        422,
        "matter-not-found",
        f"'{code}' is not an entry of the 随机抽查事项清单 (GET /api/v1/public/inspection-matters).",
        detail_zh="随机抽查事项清单中没有这一事项。",
        field="matter_code",
    )


def _new_secret() -> tuple[str, str]:
    secret = secrets.token_hex(32)
    return secret, commitment_of(secret)


def visible_plans(principal: Principal) -> Select[InspectionPlan]:
    return scoped_to_agency(select(InspectionPlan), InspectionPlan.agency, principal)


async def create_plan(
    session: AsyncSession, catalog: Catalog, principal: Principal, body: InspectionPlanCreate, today: date
) -> InspectionPlan:
    agency = agency_of(principal)
    matter = matter_of(catalog, body.matter_code)
    if not matter.enforcement_category:
        raise Problem(
            422,
            "matter-without-category",
            f"The matter {matter.code} names no 执法类别 (enforcement_category in inspection_matters.yaml): inspectors cannot be drawn.",
            detail_zh="这一抽查事项没有注明执法类别，无法抽取检查人员；请在随机抽查事项清单中补充。",
            field="matter_code",
        )
    if body.due_on < today:
        raise Problem(422, "due-in-past", "due_on lies in the past.", detail_zh="完成期限不能早于今天。", field="due_on")
    secret, commitment = _new_secret()
    now = utcnow()
    for _attempt in range(3):
        seq = (
            await session.execute(select(func.count()).where(InspectionPlan.agency == agency, InspectionPlan.year == body.year))
        ).scalar_one() + 1
        plan = InspectionPlan(
            agency=agency,
            number=f"SJ{body.year}-{seq:03d}",
            year=body.year,
            matter_code=matter.code,
            matter_name=matter.name_zh,
            category=matter.enforcement_category,
            name=body.name,
            filters=body.filters.stored(),
            ratio=body.ratio,
            count=body.count,
            inspectors_per_task=body.inspectors_per_task,
            due_on=body.due_on,
            status="planned",
            secret=secret,
            commitment=commitment,
            committed_at=now,
            created_at=now,
            created_by=principal.name,
        )
        try:
            async with session.begin_nested():
                session.add(plan)
        except IntegrityError:  # another plan took the number: count again
            continue
        break
    else:
        raise Problem(409, "plan-number-taken", "Plans were numbered concurrently; try again.", detail_zh="计划编号冲突，请重试。")
    await record(
        session,
        principal,
        "inspection.plan_created",
        agency=agency,
        payload={
            "plan_id": plan.id,
            "number": plan.number,
            "matter_code": plan.matter_code,
            "name": plan.name,
            "year": plan.year,
            "subject_categories": plan.filters.get("category", []),
            "subject_regions": plan.filters.get("region", []),
            "subject_risks": plan.filters.get("risk", []),
            "ratio": plan.ratio,
            "count": plan.count,
            "inspectors_per_task": plan.inspectors_per_task,
            "due_on": plan.due_on.isoformat(),
            "commitment": plan.commitment,
        },
    )
    return plan


async def get_plan(session: AsyncSession, principal: Principal, plan_id: str) -> InspectionPlan:
    plan = (await session.execute(visible_plans(principal).where(InspectionPlan.id == plan_id))).scalar_one_or_none()
    if plan is None:
        raise Problem(404, "plan-not-found", f"No inspection plan {plan_id}.", detail_zh="没有这个抽查计划（或它属于其他单位）。")
    return plan


async def plan_page(
    session: AsyncSession, principal: Principal, year: int | None, cursor: str | None, limit: int
) -> tuple[list[InspectionPlan], str | None]:
    query = visible_plans(principal)
    if year is not None:
        query = query.where(InspectionPlan.year == year)
    rows = (
        (await session.execute(keyset(query, [InspectionPlan.created_at, InspectionPlan.id], cursor, limit, descending=True)))
        .scalars()
        .all()
    )
    return page_of(list(rows), ["created_at", "id"], limit)


async def draws_of(session: AsyncSession, plan_ids: Sequence[str]) -> dict[str, list[InspectionDraw]]:
    found: dict[str, list[InspectionDraw]] = {plan_id: [] for plan_id in plan_ids}
    if plan_ids:
        for row in (
            await session.execute(
                select(InspectionDraw)
                .where(InspectionDraw.plan_id.in_(list(plan_ids)))
                .order_by(InspectionDraw.plan_id, InspectionDraw.seq)
            )
        ).scalars():
            found[row.plan_id].append(row)
    return found


# --- the draw ---------------------------------------------------------------------------------------


def _pool_query(agency: str, filters: Mapping[str, list[str]]) -> Select[InspectionSubject]:
    query = select(InspectionSubject).where(InspectionSubject.agency == agency)
    if filters.get("category"):
        query = query.where(InspectionSubject.category.in_(filters["category"]))
    if filters.get("region"):
        query = query.where(InspectionSubject.region.in_(filters["region"]))
    if filters.get("risk"):
        query = query.where(InspectionSubject.risk.in_(filters["risk"]))
    return query.order_by(InspectionSubject.uscc)


def _not_enough(needed: int, available: int, category: str, subject: str | None = None) -> Problem:
    where = f" for {subject}" if subject else ""
    where_zh = f"（检查对象“{subject}”，已排除回避人员）" if subject else "（已排除回避人员）"
    return Problem(
        409,
        "not-enough-inspectors",
        f"{needed} inspectors are needed per task but only {available} officers{where} hold a certificate for {category} valid today "
        "and have no declared conflict.",
        detail_zh=f"符合条件的检查人员不足：每项任务需要 {needed} 名，持有“{category}”类别有效执法证的只有 {available} 名{where_zh}。",
        needed=needed,
        available=available,
    )


async def draw_plan(session: AsyncSession, principal: Principal, plan: InspectionPlan, body: DrawCreate, today: date) -> InspectionDraw:
    """Draw the plan's subjects and each one's inspectors (rs-draw-v1), revealing the committed secret; a second draw
    needs a reason and supersedes the first, whose record stays."""
    agency = agency_of(principal)
    previous = (await draws_of(session, [plan.id]))[plan.id]
    current = next((d for d in previous if d.status == "current"), None)
    if current is not None and not body.reason:
        raise Problem(
            409,
            "already-drawn",
            "The plan was drawn already: a redraw needs a reason, and both draws stay on record.",
            detail_zh="这个计划已经抽取过；重新抽取须说明原因，两次抽取都会留存并公开。",
        )
    if current is None and body.reason:
        raise Problem(
            422,
            "reason-without-redraw",
            "A reason goes with a redraw; the plan has not been drawn yet.",
            detail_zh="计划尚未抽取，无需填写重新抽取的原因。",
        )
    old_tasks: list[InspectionTask] = []
    if current is not None:
        old_tasks = list((await session.execute(select(InspectionTask).where(InspectionTask.draw_id == current.id))).scalars())
        if any(t.result is not None for t in old_tasks):
            raise Problem(
                409,
                "results-recorded",
                "Results were recorded for this draw's tasks: it can no longer be drawn again.",
                detail_zh="本次抽取的任务已有检查结果，不能再重新抽取。",
            )
    version = await current_version(session, agency)
    if version == 0:
        raise Problem(409, "no-subjects", "No 名录库 was imported yet.", detail_zh="尚未导入检查对象名录库。")
    pool = [_line(s) for s in (await session.execute(_pool_query(agency, plan.filters or {}))).scalars()]
    if not pool:
        raise Problem(
            409, "empty-pool", "No subject of the 名录库 matches the plan's filters.", detail_zh="名录库中没有符合计划抽查范围的检查对象。"
        )
    snapshot = snapshot_of(pool)
    pool_sha256 = sha256_text(snapshot)
    officers: list[CertifiedOfficer] = await certified_for(session, agency, plan.category, today)
    if len(officers) < plan.inspectors_per_task:
        raise _not_enough(plan.inspectors_per_task, len(officers), plan.category)
    eligible = [o.officer_id for o in officers]
    usccs = {line["uscc"] for line in pool}
    conflicts = sorted((o, u) for o, u in await _conflict_pairs(session, agency) if o in set(eligible) and u in usccs)
    seed = seed_of(plan.secret, body.seed)
    wanted = wanted_count(len(pool), plan.ratio, plan.count)
    names = {line["uscc"]: str(line["name"]) for line in pool}
    try:
        outcome = draw(seed, pool, pool_sha256, wanted, eligible, conflicts, plan.inspectors_per_task)
    except NotEnoughInspectors as short:
        raise _not_enough(short.needed, short.available, plan.category, names.get(short.uscc, short.uscc)) from None
    seq = len(previous) + 1
    row = InspectionDraw(
        agency=agency,
        plan_id=plan.id,
        seq=seq,
        status="current",
        reason=body.reason,
        algorithm=ALGORITHM,
        commitment=plan.commitment,
        committed_at=plan.committed_at,
        secret=plan.secret,
        public_seed=body.seed,
        seed=seed,
        subjects_version=version,
        filters=plan.filters or {},
        pool_size=len(pool),
        pool_sha256=pool_sha256,
        pool_snapshot=snapshot,
        wanted=wanted,
        inspectors_per_task=plan.inspectors_per_task,
        eligible=[{"officer_id": o.officer_id, "name": o.name, "certificate_number": o.certificate_number} for o in officers],
        conflicts=[[o, u] for o, u in conflicts],
        drawn=[{"uscc": s.uscc, "name": s.name, "rank": s.rank} for s in outcome.subjects],
        drawn_on=today,
        drawn_at=utcnow(),
        drawn_by=principal.name,
    )
    if current is not None:
        current.status = "superseded"
        for task in old_tasks:
            task.status = "superseded"
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise Problem(
            409,
            "draw-conflict",
            "The plan was drawn at the same time by another request.",
            detail_zh="这个计划刚被他人抽取，请刷新后查看。",
        ) from None
    session.add_all(
        [
            InspectionTask(
                agency=agency,
                plan_id=plan.id,
                draw_id=row.id,
                seq=task.task_no,
                number=f"{plan.number}-{task.task_no:03d}" if seq == 1 else f"{plan.number}-{seq}-{task.task_no:03d}",
                uscc=task.uscc,
                subject_name=names[task.uscc],
                drawn_inspectors=list(task.inspectors),
                inspectors=list(task.inspectors),
                status="assigned",
            )
            for task in outcome.tasks
        ]
    )
    # The secret is revealed: the next draw (a redraw) reveals a fresh one, committed to from now on.
    plan.secret, plan.commitment = _new_secret()
    plan.committed_at = utcnow()
    plan.status = "drawn"
    await session.flush()
    action = "inspection.redrawn" if current is not None else "inspection.drawn"
    await record(
        session,
        principal,
        action,
        agency=agency,
        payload={
            "plan_id": plan.id,
            "draw_id": row.id,
            "number": plan.number,
            "seq": seq,
            "reason": body.reason,
            "superseded_draw_id": current.id if current is not None else None,
            "algorithm": ALGORITHM,
            "commitment": row.commitment,
            "secret": row.secret,
            "public_seed": row.public_seed,
            "seed": row.seed,
            "subjects_version": version,
            "pool_size": row.pool_size,
            "pool_sha256": row.pool_sha256,
            "drawn": [s.uscc for s in outcome.subjects],
            "next_commitment": plan.commitment,
        },
    )
    return row


async def get_draw(session: AsyncSession, principal: Principal | None, draw_id: str) -> InspectionDraw:
    """A draw by id: any agency's for the public side (principal None), else the principal's agency's only."""
    query = select(InspectionDraw) if principal is None else scoped_to_agency(select(InspectionDraw), InspectionDraw.agency, principal)
    found = (await session.execute(query.where(InspectionDraw.id == draw_id))).scalar_one_or_none()
    if found is None:
        raise Problem(404, "draw-not-found", f"No draw {draw_id}.", detail_zh="没有这次抽取（或它属于其他单位）。")
    return found


async def plan_of(session: AsyncSession, draw: InspectionDraw) -> InspectionPlan:
    return (await session.execute(select(InspectionPlan).where(InspectionPlan.id == draw.plan_id))).scalar_one()


async def tasks_of(session: AsyncSession, draw_id: str) -> list[InspectionTask]:
    return list(
        (await session.execute(select(InspectionTask).where(InspectionTask.draw_id == draw_id).order_by(InspectionTask.seq))).scalars()
    )


def stored_draw(row: InspectionDraw, tasks: list[InspectionTask]) -> StoredDraw:
    return StoredDraw(
        id=row.id,
        algorithm=row.algorithm,
        commitment=row.commitment,
        secret=row.secret,
        public_seed=row.public_seed,
        seed=row.seed,
        pool_snapshot=row.pool_snapshot,
        pool_size=row.pool_size,
        pool_sha256=row.pool_sha256,
        wanted=row.wanted,
        per_task=row.inspectors_per_task,
        eligible=[e["officer_id"] for e in row.eligible],
        conflicts=[(c[0], c[1]) for c in row.conflicts],
        drawn=[d["uscc"] for d in row.drawn],
        tasks=[(t.seq, t.uscc, list(t.drawn_inspectors)) for t in tasks],
    )


async def verify_draw(session: AsyncSession, draw_id: str) -> Verification:
    """Recompute a stored draw (the CLI's `draws verify`): no principal, every agency's."""
    row = await get_draw(session, None, draw_id)
    return verify(stored_draw(row, await tasks_of(session, row.id)))


# --- tasks ------------------------------------------------------------------------------------------


def visible_tasks(principal: Principal) -> Select[InspectionTask]:
    return scoped_to_agency(select(InspectionTask), InspectionTask.agency, principal)


async def get_task(session: AsyncSession, principal: Principal, task_id: str) -> InspectionTask:
    task = (await session.execute(visible_tasks(principal).where(InspectionTask.id == task_id))).scalar_one_or_none()
    if task is None:
        raise Problem(404, "task-not-found", f"No inspection task {task_id}.", detail_zh="没有这项检查任务（或它属于其他单位）。")
    return task


def task_overdue(task: InspectionTask, plan_due_on: date, today: date) -> bool:
    """Not inspected by the plan's due date, or a result not public within its 20 working days."""
    if task.status == "assigned":
        return plan_due_on < today
    if task.status == "done" and task.published_at is None and task.publish_due_on is not None:
        return task.publish_due_on < today
    return False


def overdue_condition(today: date) -> Any:
    return or_(
        (InspectionTask.status == "assigned") & InspectionTask.plan_id.in_(select(InspectionPlan.id).where(InspectionPlan.due_on < today)),
        (InspectionTask.status == "done") & InspectionTask.published_at.is_(None) & (InspectionTask.publish_due_on < today),
    )


async def due_dates(session: AsyncSession, tasks: Iterable[InspectionTask]) -> dict[str, date]:
    plan_ids = sorted({t.plan_id for t in tasks})
    if not plan_ids:
        return {}
    return {
        pid: due
        for pid, due in (
            await session.execute(select(InspectionPlan.id, InspectionPlan.due_on).where(InspectionPlan.id.in_(plan_ids)))
        ).all()
    }


async def task_page(
    session: AsyncSession,
    principal: Principal,
    today: date,
    *,
    plan_id: str | None,
    status: str | None,
    overdue: bool,
    cursor: str | None,
    limit: int,
) -> tuple[list[InspectionTask], str | None]:
    query = visible_tasks(principal)
    if plan_id:
        query = query.where(InspectionTask.plan_id == plan_id)
    if status:
        query = query.where(InspectionTask.status == status)
    if overdue:
        query = query.where(overdue_condition(today))
    rows = (
        (await session.execute(keyset(query, [InspectionTask.plan_id, InspectionTask.draw_id, InspectionTask.seq], cursor, limit)))
        .scalars()
        .all()
    )
    return page_of(list(rows), ["plan_id", "draw_id", "seq"], limit)


async def adjustments_of(session: AsyncSession, task_id: str) -> list[InspectionTaskAdjustment]:
    query = (
        select(InspectionTaskAdjustment)
        .where(InspectionTaskAdjustment.task_id == task_id)
        .order_by(InspectionTaskAdjustment.at, InspectionTaskAdjustment.id)
    )
    return list((await session.execute(query)).scalars())


async def adjust_task(
    session: AsyncSession, principal: Principal, task: InspectionTask, body: InspectionTaskUpdate, today: date
) -> InspectionTaskAdjustment:
    """New inspectors for a task, for a reason: each certified today for the matter's category, none in conflict."""
    agency = agency_of(principal)
    if task.status != "assigned":
        raise Problem(
            409,
            "task-closed",
            f"The task is {task.status}: its inspectors can no longer change.",
            detail_zh="这项任务已有检查结果或已作废，不能再调整检查人员。",
        )
    plan = (await session.execute(select(InspectionPlan).where(InspectionPlan.id == task.plan_id))).scalar_one()
    if len(body.inspectors) < plan.inspectors_per_task:
        raise Problem(
            422,
            "too-few-inspectors",
            f"The plan needs {plan.inspectors_per_task} inspectors per task.",
            detail_zh=f"每项任务至少需要 {plan.inspectors_per_task} 名检查人员。",
            field="inspectors",
        )
    if sorted(body.inspectors) == sorted(task.inspectors):
        raise Problem(
            422, "adjustment-unchanged", "These are the task's inspectors already.", detail_zh="检查人员没有变化。", field="inspectors"
        )
    certified = {o.officer_id for o in await certified_for(session, agency, plan.category, today)}
    uncertified = [o for o in body.inspectors if o not in certified]
    if uncertified:
        raise Problem(
            422,
            "inspector-not-eligible",
            f"Not certified for {plan.category} today: {', '.join(uncertified)}.",
            detail_zh=f"以下人员今天没有“{plan.category}”类别的有效执法证：{'、'.join(uncertified)}。",
            field="inspectors",
            officers=uncertified,
        )
    conflicts = await _conflict_pairs(session, agency)
    conflicted = [o for o in body.inspectors if (o, task.uscc) in conflicts]
    if conflicted:
        raise Problem(
            422,
            "inspector-conflicted",
            f"A conflict with this subject is declared for: {', '.join(conflicted)}.",
            detail_zh=f"以下人员与该检查对象存在应当回避的情形：{'、'.join(conflicted)}。",
            field="inspectors",
            officers=conflicted,
        )
    adjustment = InspectionTaskAdjustment(
        task_id=task.id,
        before=list(task.inspectors),
        after=list(body.inspectors),
        reason=body.adjustment_reason,
        at=utcnow(),
        by=principal.name,
    )
    task.inspectors = list(body.inspectors)
    session.add(adjustment)
    await session.flush()
    await record(
        session,
        principal,
        "inspection.task_adjusted",
        agency=agency,
        payload={"task_id": task.id, "number": task.number, "from": adjustment.before, "to": adjustment.after, "reason": adjustment.reason},
    )
    return adjustment


async def record_result(
    session: AsyncSession, catalog: Catalog, principal: Principal, task: InspectionTask, body: InspectionResultCreate, today: date
) -> InspectionTask:
    agency = agency_of(principal)
    if task.status == "superseded":
        raise Problem(
            409, "task-superseded", "The task's draw was superseded by a redraw.", detail_zh="这项任务所属的抽取已被重新抽取取代。"
        )
    if task.published_at is not None:
        raise Problem(409, "result-published", "The result is public already.", detail_zh="检查结果已经公示，不能再修改。")
    drawn_on = (await session.execute(select(InspectionDraw.drawn_on).where(InspectionDraw.id == task.draw_id))).scalar_one()
    if not drawn_on <= body.checked_on <= today:
        raise Problem(
            422,
            "checked-on-out-of-range",
            f"checked_on must lie between the draw ({drawn_on}) and today.",
            detail_zh=f"检查完成日期须在抽取之日（{drawn_on}）与今天之间。",
            field="checked_on",
        )
    if body.case_id:
        case = await get_case(session, principal, body.case_id)
        if case.procedure != INSPECTION_PROCEDURE:
            raise Problem(
                422,
                "not-an-inspection-case",
                f"Case {case.case_number} is not a case of procedure {INSPECTION_PROCEDURE}.",
                detail_zh="关联的案件不是日常监督检查（行政检查）案件。",
                field="case_id",
            )
    if body.penalty_case_id:
        filed = await get_case(session, principal, body.penalty_case_id)
        procedure = catalog.procedure(filed.procedure)
        if procedure is None or procedure.kind != "penalty":
            raise Problem(
                422,
                "not-a-penalty-case",
                f"Case {filed.case_number} is not a penalty case.",
                detail_zh="立案查处的案件须为行政处罚案件。",
                field="penalty_case_id",
            )
        if body.result is not InspectionResult.case_filed:
            raise Problem(
                422,
                "penalty-case-without-case-filed",
                "penalty_case_id goes with the result case_filed.",
                detail_zh="只有“立案查处”的结果才关联处罚案件。",
            )
    calendar = await working_calendar(session, catalog, agency)
    task.checked_on = body.checked_on
    task.result = body.result.value
    task.note = body.note
    task.case_id = body.case_id
    task.penalty_case_id = body.penalty_case_id
    task.result_at = utcnow()
    task.result_by = principal.name
    task.publish_due_on = calendar.add_working_days(body.checked_on, PUBLISH_WORKING_DAYS).due_on
    task.status = "done"
    await session.flush()
    await record(
        session,
        principal,
        "inspection.result_recorded",
        agency=agency,
        case_id=body.case_id,
        payload={
            "task_id": task.id,
            "number": task.number,
            "checked_on": body.checked_on.isoformat(),
            "result": task.result,
            "note": task.note,
            "case_id": task.case_id,
            "penalty_case_id": task.penalty_case_id,
            "due_on": task.publish_due_on.isoformat(),
        },
    )
    return task


async def publish_result(session: AsyncSession, principal: Principal, task: InspectionTask) -> InspectionTask:
    agency = agency_of(principal)
    if task.result is None or task.status != "done":
        raise Problem(409, "no-result", "The task has no result to publish.", detail_zh="这项任务还没有检查结果。")
    if task.published_at is not None:
        raise Problem(409, "result-published", "The result is public already.", detail_zh="检查结果已经公示。")
    task.published_at = utcnow()
    task.published_by = principal.name
    await session.flush()
    late = task.publish_due_on is not None and task.published_at.date() > task.publish_due_on
    await record(
        session,
        principal,
        "inspection.result_published",
        agency=agency,
        payload={"task_id": task.id, "number": task.number, "result": task.result, "late": late},
    )
    return task


# --- the public side --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultFilter:
    year: int | None = None
    matter: str | None = None
    agency: str | None = None


RESULT_PARAMS = ("year", "matter", "agency", "limit", "cursor")


def result_filter(
    year: Annotated[int | None, Query(ge=2000, le=2100, description="the plans' year")] = None,
    matter: Annotated[str | None, Query(max_length=64, description="a matter code of the 随机抽查事项清单")] = None,
    agency: Annotated[str | None, Query(max_length=64, description="one agency's results (and the agencies under it)")] = None,
) -> ResultFilter:
    return ResultFilter(year=year, matter=(matter or "").strip() or None, agency=(agency or "").strip() or None)


async def _published(session: AsyncSession, where: ResultFilter) -> Select[InspectionTask]:
    plans = select(InspectionPlan.id)
    if where.year is not None:
        plans = plans.where(InspectionPlan.year == where.year)
    if where.matter:
        plans = plans.where(InspectionPlan.matter_code == where.matter)
    query = select(InspectionTask).where(InspectionTask.published_at.is_not(None), InspectionTask.plan_id.in_(plans))
    if where.agency:
        query = query.where(InspectionTask.agency.in_(await agency_codes_under(session, where.agency)))
    return query


@dataclass(frozen=True)
class PublishedRow:
    task: InspectionTask
    plan: InspectionPlan
    agency_name: str | None
    publication_id: str | None


async def published_page(
    session: AsyncSession, where: ResultFilter, cursor: str | None, limit: int, today: date
) -> tuple[list[PublishedRow], str | None]:
    query = await _published(session, where)
    rows = (
        (await session.execute(keyset(query, [InspectionTask.published_at, InspectionTask.id], cursor, limit, descending=True)))
        .scalars()
        .all()
    )
    tasks, next_cursor = page_of(list(rows), ["published_at", "id"], limit)
    return await _published_rows(session, tasks, today), next_cursor


async def published_all(session: AsyncSession, principal: Principal, where: ResultFilter, today: date) -> list[PublishedRow]:
    """Every published result of the principal's agency (the staff's export), newest first."""
    query = scoped_to_agency(await _published(session, where), InspectionTask.agency, principal)
    tasks = list(
        (await session.execute(query.order_by(InspectionTask.published_at.desc(), InspectionTask.id.desc()).limit(50_000))).scalars()
    )
    return await _published_rows(session, tasks, today)


async def _published_rows(session: AsyncSession, tasks: list[InspectionTask], today: date) -> list[PublishedRow]:
    plan_ids = sorted({t.plan_id for t in tasks})
    plans = {p.id: p for p in (await session.execute(select(InspectionPlan).where(InspectionPlan.id.in_(plan_ids or [""])))).scalars()}
    names = await agency_names(session)
    cases = [c for t in tasks if t.result == InspectionResult.case_filed.value for c in (t.penalty_case_id, t.case_id) if c]
    publications = await public_penalties_of_cases(session, cases, today)
    out = []
    for task in tasks:
        found = (
            publications.get(task.penalty_case_id or "") or publications.get(task.case_id or "")
            if task.result == InspectionResult.case_filed.value
            else None
        )
        out.append(PublishedRow(task, plans[task.plan_id], names.get(task.agency), found))
    return out


async def agency_names(session: AsyncSession) -> dict[str, str]:
    return {a.code: a.name_zh for a in await list_agencies(session)}


async def published_count(session: AsyncSession, where: ResultFilter) -> int:
    return int((await session.execute(select(func.count()).select_from((await _published(session, where)).subquery()))).scalar_one())


# --- statistics -------------------------------------------------------------------------------------


async def statistics(session: AsyncSession, principal: Principal, year: int, today: date) -> InspectionStatistics:
    return await year_figures(session, None if principal.agency == ALL_AGENCIES else principal.agency, year, today)


async def year_figures(session: AsyncSession, agency: str | None, year: int, today: date) -> InspectionStatistics:
    """双随机 figures of a year for one agency (None: every agency) — the API's statistics and the 年报 alike."""
    query = select(InspectionPlan).where(InspectionPlan.year == year)
    if agency is not None:
        query = query.where(InspectionPlan.agency == agency)
    plans = list((await session.execute(query.order_by(InspectionPlan.number))).scalars())
    draws = await draws_of(session, [p.id for p in plans])
    current = {pid: next((d for d in ds if d.status == "current"), None) for pid, ds in draws.items()}
    current_ids = [d.id for d in current.values() if d is not None]
    tasks = list((await session.execute(select(InspectionTask).where(InspectionTask.draw_id.in_(current_ids or [""])))).scalars())
    adjustments = (
        await session.execute(
            select(func.count())
            .select_from(InspectionTaskAdjustment)
            .where(InspectionTaskAdjustment.task_id.in_([t.id for t in tasks] or [""]))
        )
    ).scalar_one()
    due = {p.id: p.due_on for p in plans}
    by_plan = []
    for plan in plans:
        row = current[plan.id]
        mine = [t for t in tasks if t.plan_id == plan.id]
        by_plan.append(
            InspectionPlanFigures(
                plan_id=plan.id,
                number=plan.number,
                name=plan.name,
                matter_code=plan.matter_code,
                pool_size=row.pool_size if row else None,
                drawn=len(mine),
                coverage=round(len(mine) / row.pool_size, 4) if row and row.pool_size else None,
                redraws=max(0, len(draws[plan.id]) - 1),
                done=sum(1 for t in mine if t.status == "done"),
                published=sum(1 for t in mine if t.published_at is not None),
                overdue=sum(1 for t in mine if task_overdue(t, due[plan.id], today)),
            )
        )
    pool = sum(f.pool_size or 0 for f in by_plan)
    results = Counter(t.result for t in tasks if t.result)
    return InspectionStatistics(
        year=year,
        agency=agency,
        plans=len(plans),
        drawn_plans=sum(1 for d in current.values() if d is not None),
        redraws=sum(f.redraws for f in by_plan),
        pool_size=pool,
        drawn=len(tasks),
        coverage=round(len(tasks) / pool, 4) if pool else None,
        tasks=len(tasks),
        done=sum(1 for t in tasks if t.status == "done"),
        results={r.value: results.get(r.value, 0) for r in InspectionResult},
        published=sum(1 for t in tasks if t.published_at is not None),
        overdue=sum(1 for t in tasks if task_overdue(t, due[t.plan_id], today)),
        adjustments=int(adjustments),
        by_plan=by_plan,
    )


# --- answers built for the API and the pages --------------------------------------------------------


async def draw_view(session: AsyncSession, row: InspectionDraw, tz: tzinfo, day: date) -> DrawOut:
    plan = await plan_of(session, row)
    tasks = await tasks_of(session, row.id)
    return DrawOut.of(row, plan, [InspectionTaskOut.of(t, tz, overdue=task_overdue(t, plan.due_on, day)) for t in tasks], tz)


async def task_view(session: AsyncSession, task: InspectionTask, tz: tzinfo, day: date) -> InspectionTaskOut:
    due = await due_dates(session, [task])
    return InspectionTaskOut.of(
        task, tz, overdue=task_overdue(task, due[task.plan_id], day), adjustments=await adjustments_of(session, task.id)
    )


async def public_draw_view(session: AsyncSession, draw_id: str, tz: tzinfo) -> PublicDrawOut:
    """A draw as the public reads it, recomputed from its stored snapshot and seed on the way (`verified`)."""
    row = await get_draw(session, None, draw_id)
    plan = await plan_of(session, row)
    tasks = await tasks_of(session, row.id)
    names = await agency_names(session)
    return PublicDrawOut.of(row, plan, tasks, names.get(row.agency), verify(stored_draw(row, tasks)).ok, tz)


RESULT_HEADINGS = (
    "计划编号",
    "计划名称",
    "任务编号",
    "抽查类型",
    "检查机关",
    "市场主体名称",
    "统一社会信用代码",
    "检查完成日期",
    "检查结果",
    "备注",
    "查处结果",
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def result_cells(row: PublishedRow) -> list[object]:
    out = PublicInspectionResult.of(row.task, row.plan, row.agency_name, row.publication_id, UTC)
    return [
        out.plan_number,
        out.plan_name,
        out.task_number,
        out.inspection_type_name,
        out.agency_name or out.agency,
        out.subject_name,
        out.uscc,
        out.checked_on.isoformat(),
        out.result_name,
        out.note or "",
        out.publication_url or "",
    ]


def results_file(rows: list[PublishedRow], file_format: str) -> tuple[bytes, str]:
    """The published results as CSV (UTF-8 with BOM) or XLSX, the public list's columns. Blocking: run it in a thread."""
    cells = [result_cells(r) for r in rows]
    if file_format == "csv":
        return csv_bytes(RESULT_HEADINGS, cells), "text/csv; charset=utf-8"
    return xlsx_bytes([("抽查结果", [RESULT_HEADINGS], cells)]), XLSX_TYPE
