"""The statistics, each a table read from the stored figures: cases, completeness, findings, time limits,
review scores, footage, upload lag, fixity, publication timeliness; and the annual report."""

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import ColumnElement, Float, Select, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from ..agencies.service import agency_name, get_agency
from ..audit.service import head_seq
from ..catalog.schemas import ENFORCEMENT_KINDS, AmountLimit, Catalog, TimeLimitRule
from ..catalog.service import get_catalog
from ..core.config import Settings
from ..core.messages import name_of, names, text
from ..core.principals import ALL_AGENCIES, Principal
from ..core.problems import Problem, logger
from ..core.sheets import Percent, csv_bytes, xlsx_bytes
from ..core.times import today
from ..inspections.service import year_figures
from ..officers.service import names_of
from ..publication.service import timeliness
from .filing import FILED_WITHIN_DAYS, filing_rows
from .models import CaseFigures, CaseFindingCount, ComplaintDay, FixityDay, FootageDay, StatsWatermark
from .refresh import follow
from .schemas import Cell, Column, Row, StatsOut, Totals

FINDING_NAMES = {
    "missing_document": "缺少执法文书",
    "missing_audio_visual": "缺少音像记录",
    "unusable_audio_visual": "音像记录无法使用",
    "continuity_gap": "全程记录中断未说明",
    "outside_stage_window": "音像时间不在环节期间",
    "unknown_recording_time": "音像无录制时间",
    "integrity": "证据完整性问题",
    "uncertified_officer": "执法人员无有效执法证",
    "insufficient_officers": "执法人员不足",
    "time_limit": "超过法定期限",
    "review": "案卷评查问题",
}
CHECK_NAMES = {
    "stage_order": "环节顺序",
    "doc_number_format": "文号格式",
    "doc_number_duplicate": "文号重复",
    "party_name": "当事人名称不一致",
    "party_id_number": "证件号码校验不通过",
    "record_signature": "笔录未签名或未注明拒签",
    "service_witness": "留置送达无见证",
    "legal_review": "缺少法制审核",
}
STATUS_NAMES = names("case_status")  # the message catalogue's words, as the pages use them
DIMENSIONS = {"officer": "执法人员", "device": "执法记录仪", "dock": "采集站"}
LAG_COLUMNS = [("lag_1h", "1小时内"), ("lag_6h", "1–6小时"), ("lag_24h", "6–24小时"), ("lag_72h", "1–3天"), ("lag_more", "超过3天")]
FIXITY_NAMES = names("fixity")
PUBLICATION_KINDS = {"penalty": "行政处罚", "license": "行政许可", "inspection": "行政检查"}
PUBLICATION_COUNTS = (
    "publications",
    "not_publishable",
    "published_on_time",
    "published_late",
    "unpublished_overdue",
    "pending",
    "withdrawals_due",
    "withdrawn_on_time",
    "withdrawn_late",
    "withdrawal_overdue",
)
# Columns holding a ratio (0.85): the pages show 85.0%, workbooks hold the number formatted as a percentage.
PERCENT_COLUMNS = frozenset({"rate", "share", "on_time_share"})
UNMARKED = "（未标明）"  # footage that names no officer, device or dock


@dataclass
class Table:
    name: str
    title_zh: str
    columns: list[tuple[str, str]]  # (key, Chinese heading)
    rows: list[Row]
    totals: Totals | None = None
    notes: list[str] = field(default_factory=list)
    chart: tuple[str, str] | None = None  # (label column, value column) drawn as bars
    codes: frozenset[str] = frozenset()  # columns of codes a page leaves out: the column beside says it for people


@dataclass(frozen=True)
class Scope:
    agency: str | None  # None: every agency (an all-agency administrator)
    start: date
    end: date  # inclusive

    def where(
        self, agency_column: InstrumentedAttribute[str], day_column: InstrumentedAttribute[date] | InstrumentedAttribute[date | None]
    ) -> list[ColumnElement[bool]]:
        conditions = [day_column >= self.start, day_column <= self.end]
        if self.agency is not None:
            conditions.append(agency_column == self.agency)
        return conditions


def cases_by_problems(has_problems: bool) -> Select[str]:
    """The ids of the cases whose stored figures show findings (completeness, missed limits, review) — or, with
    False, none. The case list's `has_problems` filter (cases knows nothing of statistics; the composition root
    hands it this query). A case whose figures are not computed yet is in neither; so is one whose only open point is
    footage still being recorded (not complete, no findings: it cannot be judged until the recording ends)."""
    if has_problems:
        return select(CaseFigures.case_id).where(CaseFigures.findings > 0)
    return select(CaseFigures.case_id).where(CaseFigures.findings == 0, CaseFigures.complete.is_(True))


async def findings_of_cases(session: AsyncSession, case_ids: list[str]) -> dict[str, int | None]:
    """The number of findings each of these cases has in its stored figures (absent: not computed yet; None: no
    findings, but footage still being recorded — not judged yet)."""
    if not case_ids:
        return {}
    rows = await session.execute(
        select(CaseFigures.case_id, CaseFigures.findings, CaseFigures.complete).where(CaseFigures.case_id.in_(case_ids))
    )
    return {case_id: None if findings == 0 and not complete else findings for case_id, findings, complete in rows.all()}


async def scope_name(session: AsyncSession, agency: str | None) -> str:
    """How titles and file names call the scope: the agency's full name (its code until it has a profile), or 全部单位."""
    return agency_name(await get_agency(session, agency) if agency else None, agency)


def report_title(year: int, agency: str | None, name: str) -> str:
    return f"{name} {year}年度行政执法统计年报" if agency else f"{year}年度行政执法统计年报（全部单位）"


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _procedure_name(catalog: Catalog, code: str) -> str:
    procedure = catalog.procedure(code)
    return procedure.name_zh if procedure else code


async def case_counts(session: AsyncSession, catalog: Catalog, scope: Scope) -> Table:
    rows = (
        await session.execute(
            select(CaseFigures.procedure, CaseFigures.status, CaseFigures.opened_on, func.count())
            .where(*scope.where(CaseFigures.agency, CaseFigures.opened_on))
            .group_by(CaseFigures.procedure, CaseFigures.status, CaseFigures.opened_on)
        )
    ).all()
    months: Counter[tuple[str, str, str]] = Counter()
    by_procedure: Counter[str] = Counter()
    for procedure, status, opened_on, count in rows:
        months[(opened_on.strftime("%Y-%m"), procedure, status)] += count
        by_procedure[_procedure_name(catalog, procedure)] += count
    out: list[Row] = [
        {
            "month": month,
            "procedure": procedure,
            "procedure_zh": _procedure_name(catalog, procedure),
            "status": status,
            "status_zh": STATUS_NAMES.get(status, status),
            "cases": count,
        }
        for (month, procedure, status), count in sorted(months.items())
    ]
    return Table(
        "cases",
        "案件数（按立案月份、程序、状态）",
        [
            ("month", "月份"),
            ("procedure", "程序代码"),
            ("procedure_zh", "程序"),
            ("status", "状态代码"),
            ("status_zh", "状态"),
            ("cases", "案件数"),
        ],
        out,
        totals={"cases": sum(months.values()), "by_procedure": dict(by_procedure)},
        notes=["按立案日期统计。"],
        chart=("month", "cases"),
    )


async def completeness(session: AsyncSession, catalog: Catalog, scope: Scope) -> Table:
    rows = (
        await session.execute(
            select(CaseFigures.procedure, CaseFigures.status, CaseFigures.complete, func.count())
            .where(*scope.where(CaseFigures.agency, CaseFigures.opened_on))
            .group_by(CaseFigures.procedure, CaseFigures.status, CaseFigures.complete)
        )
    ).all()
    per: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for procedure, status, complete, count in rows:
        counts = per[procedure]
        counts["cases"] += count
        counts["closed"] += count if status == "closed" else 0
        counts["complete"] += count if complete else 0
        counts["closed_complete"] += count if complete and status == "closed" else 0
    keys = ("cases", "closed", "complete", "closed_complete")
    out: list[Row] = [
        {
            "procedure": procedure,
            "procedure_zh": _procedure_name(catalog, procedure),
            **{key: per[procedure][key] for key in keys},
            "rate": _rate(per[procedure]["closed_complete"], per[procedure]["closed"]),
        }
        for procedure in sorted(per)
    ]
    whole = {key: sum(counts[key] for counts in per.values()) for key in keys}
    totals: Totals = {**whole, "rate": _rate(whole["closed_complete"], whole["closed"])}
    return Table(
        "completeness",
        "记录完整率（按程序）",
        [
            ("procedure", "程序代码"),
            ("procedure_zh", "程序"),
            ("cases", "案件数"),
            ("closed", "已结案"),
            ("complete", "无问题"),
            ("closed_complete", "已结案且无问题"),
            ("rate", "完整率（已结案）"),
        ],
        out,
        totals=totals,
        notes=["按立案日期统计；完整率 = 已结案且案件记录无任何问题的案件 ÷ 已结案案件。"],
        chart=("procedure_zh", "rate"),
    )


async def findings(session: AsyncSession, catalog: Catalog, scope: Scope) -> Table:
    rows = (
        await session.execute(
            select(CaseFindingCount.kind, CaseFindingCount.code, func.count(), func.sum(CaseFindingCount.count))
            .where(*scope.where(CaseFindingCount.agency, CaseFindingCount.opened_on))
            .group_by(CaseFindingCount.kind, CaseFindingCount.code)
        )
    ).all()
    cases_of: Counter[str] = Counter()
    findings_of: Counter[str] = Counter()
    for kind, _code, cases, count in rows:
        cases_of[kind] += cases  # a case with findings under two rules of one kind counts twice here
        findings_of[kind] += int(count or 0)
    out: list[Row] = [
        {"kind": kind, "kind_zh": FINDING_NAMES.get(kind, kind), "cases": cases_of[kind], "findings": findings_of[kind]}
        for kind in sorted(cases_of, key=lambda k: (-findings_of[k], k))
    ]
    return Table(
        "findings",
        "问题（按类别）",
        [("kind", "类别代码"), ("kind_zh", "类别"), ("cases", "涉及案件"), ("findings", "问题数")],
        out,
        totals={"findings": sum(findings_of.values())},
        notes=["按立案日期统计；同一案件在同一类别下有多项规则或检查的，涉及案件按项计。"],
        chart=("kind_zh", "findings"),
    )


async def time_limits(session: AsyncSession, catalog: Catalog, scope: Scope) -> Table:
    missed = dict(
        (
            await session.execute(
                select(CaseFindingCount.code, func.count())
                .where(CaseFindingCount.kind == "time_limit", *scope.where(CaseFindingCount.agency, CaseFindingCount.opened_on))
                .group_by(CaseFindingCount.code)
            )
        ).all()
    )
    cases = dict(
        (
            await session.execute(
                select(CaseFigures.procedure, func.count())
                .where(*scope.where(CaseFigures.agency, CaseFigures.opened_on))
                .group_by(CaseFigures.procedure)
            )
        ).all()
    )
    total_missed = sum(missed.values())
    out: list[Row] = []
    rules: list[TimeLimitRule | AmountLimit] = [*catalog.time_limits, *catalog.amount_limits]
    for rule in rules:
        applicable = sum(cases.get(code, 0) for code in rule.procedures)
        late = missed.pop(rule.code, 0)
        out.append(
            {
                "rule": rule.code,
                "rule_zh": rule.name_zh,
                "basis": rule.basis,
                "cases": applicable,
                "missed": late,
                "share": _rate(late, applicable),
            }
        )
    out += [{"rule": code, "rule_zh": code, "basis": "", "cases": None, "missed": count, "share": None} for code, count in missed.items()]
    return Table(
        "time-limits",
        "超过法定期限（按规则）",
        [
            ("rule", "规则代码"),
            ("rule_zh", "规则"),
            ("basis", "依据"),
            ("cases", "适用案件"),
            ("missed", "超期案件"),
            ("share", "超期比例"),
        ],
        out,
        totals={"missed": total_missed},
        notes=["按立案日期统计；适用案件 = 该规则所属程序的案件数（含尚在期限内的）。"],
        chart=("rule_zh", "missed"),
    )


@dataclass
class _Scores:
    """One procedure's review scores as they are summed."""

    bands: list[int]
    cases: int = 0
    sum: float = 0.0
    lowest: float | None = None


async def review_scores(session: AsyncSession, catalog: Catalog, scope: Scope) -> Table:
    bands = catalog.statistics.score_bands_percent
    percent = cast(CaseFigures.review_score, Float) * 100.0 / CaseFigures.review_max
    scored = (
        select(
            CaseFigures.procedure.label("procedure"),
            percent.label("percent"),
            case(*[(percent < edge, index) for index, edge in enumerate(bands)], else_=len(bands)).label("band"),
        )
        .where(CaseFigures.review_max > 0, *scope.where(CaseFigures.agency, CaseFigures.opened_on))
        .subquery()
    )
    rows = (
        await session.execute(  # grouped outside: PostgreSQL sees the band's bound edges as another expression otherwise
            select(scored.c.procedure, scored.c.band, func.count(), func.sum(scored.c.percent), func.min(scored.c.percent)).group_by(
                scored.c.procedure, scored.c.band
            )
        )
    ).all()
    labels = [f"低于{bands[0]}分", *(f"{low}–{high}分" for low, high in zip(bands, bands[1:])), f"{bands[-1]}分及以上"]
    per: dict[str, _Scores] = {}
    for procedure, index, count, total, lowest in rows:
        scores = per.setdefault(procedure, _Scores(bands=[0] * len(labels)))
        scores.cases += count
        scores.sum += float(total or 0)
        scores.bands[index] += count
        if lowest is not None:
            scores.lowest = float(lowest) if scores.lowest is None else min(scores.lowest, float(lowest))
    out: list[Row] = [
        {
            "procedure": procedure,
            "procedure_zh": _procedure_name(catalog, procedure),
            "cases": scores.cases,
            "lowest": round(scores.lowest, 1) if scores.lowest is not None else None,
            **{f"band_{n}": count for n, count in enumerate(scores.bands)},
            "mean": round(scores.sum / scores.cases, 1) if scores.cases else None,
        }
        for procedure, scores in sorted(per.items())
    ]
    totals: Totals = {f"band_{n}": sum(s.bands[n] for s in per.values()) for n in range(len(labels))}
    totals["cases"] = sum(s.cases for s in per.values())
    return Table(
        "review-scores",
        "案卷评查得分（百分制）",
        [
            ("procedure", "程序代码"),
            ("procedure_zh", "程序"),
            ("cases", "案件数"),
            ("mean", "平均分"),
            ("lowest", "最低分"),
            *((f"band_{n}", label) for n, label in enumerate(labels)),
        ],
        out,
        totals=totals,
        notes=["按立案日期统计；得分按评查标准自动扣分，折算为百分制。"],
        chart=("procedure_zh", "mean"),
    )


@dataclass
class _Footage:
    clips: int = 0
    seconds: float = 0.0
    bytes: int = 0


async def footage(session: AsyncSession, catalog: Catalog, scope: Scope, group_by: str = "officer") -> Table:
    """Footage by officer, device or dock. Officers are named from the register (one statement for the table):
    张三（3401001）, or the number marked 未登记; an officer number is the agency's own, so each agency's apart."""
    rows = (
        await session.execute(
            select(FootageDay.agency, FootageDay.key, func.sum(FootageDay.clips), func.sum(FootageDay.seconds), func.sum(FootageDay.bytes))
            .where(FootageDay.dimension == group_by, *scope.where(FootageDay.agency, FootageDay.day))
            .group_by(FootageDay.agency, FootageDay.key)
        )
    ).all()
    by_officer = group_by == "officer"
    sums: defaultdict[tuple[str, str], _Footage] = defaultdict(_Footage)
    for agency, key, clips, seconds, size in rows:
        found = sums[(agency if by_officer else "", key)]  # devices and docks are one across agencies, as before
        found.clips += int(clips or 0)
        found.seconds += float(seconds or 0)
        found.bytes += int(size or 0)
    registered = await names_of(session, list(sums) if by_officer else [])
    out: list[Row] = []
    for (agency, key), found in sorted(sums.items(), key=lambda item: (-item[1].seconds, item[0][1], item[0][0])):
        row: Row = {"key": key or UNMARKED}
        if by_officer:
            row.update(agency=agency, officer_zh=registered.label(agency, key) if key else UNMARKED)
        row.update(
            clips=found.clips,
            seconds=round(found.seconds, 1),
            hours=round(found.seconds / 3600, 2),
            gib=round(found.bytes / 2**30, 3),
        )
        out.append(row)
    name = DIMENSIONS[group_by]
    labels = [("key", "执法人员编号"), ("officer_zh", name)] if by_officer else [("key", name)]
    return Table(
        "footage",
        f"音像记录时长（按{name}）",
        [*labels, ("clips", "文件数"), ("seconds", "时长（秒）"), ("hours", "时长（小时）"), ("gib", "容量（GiB）")],
        out,
        totals={"clips": sum(f.clips for f in sums.values()), "hours": round(sum(round(f.seconds / 3600, 2) for f in sums.values()), 2)},
        notes=["按录制日期统计（无录制时间的按上传日期）；一段音像有多名执法人员的，分别计入每人。"]
        + (["执法人员按执法人员资格清单显示姓名；清单中没有的编号标注“未登记”。"] if by_officer else []),
        chart=("officer_zh" if by_officer else "key", "hours"),
        codes=frozenset({"key"}) if by_officer else frozenset(),
    )


async def upload_lag(session: AsyncSession, catalog: Catalog, scope: Scope) -> Table:
    sums = [func.sum(getattr(FootageDay, key)) for key, _ in LAG_COLUMNS]
    values = (
        await session.execute(
            select(func.sum(FootageDay.clips), *sums).where(
                FootageDay.dimension == "device", *scope.where(FootageDay.agency, FootageDay.day)
            )
        )
    ).one()
    clips = int(values[0] or 0)
    counts = [int(v or 0) for v in values[1:]]
    known = sum(counts)
    out: list[Row] = [
        {"band": key, "band_zh": label, "clips": count, "share": _rate(count, known)} for (key, label), count in zip(LAG_COLUMNS, counts)
    ]
    out.append({"band": "unknown", "band_zh": "无录制结束时间", "clips": clips - known, "share": None})
    within = sum(counts[:3])
    return Table(
        "upload-lag",
        "上传时效（录制结束至入库）",
        [("band", "区间代码"), ("band_zh", "区间"), ("clips", "文件数"), ("share", "占比")],
        out,
        totals={"clips": clips, "known": known, "within_24h": within, "within_24h_share": _rate(within, known)},
        notes=["按录制日期统计；24小时内上传的比例按有录制结束时间的文件计算。"],
        chart=("band_zh", "clips"),
    )


async def fixity(session: AsyncSession, catalog: Catalog, scope: Scope) -> Table:
    counts = {
        result: int(checks or 0)
        for result, checks in (
            await session.execute(
                select(FixityDay.result, func.sum(FixityDay.checks))
                .where(*scope.where(FixityDay.agency, FixityDay.day))
                .group_by(FixityDay.result)
            )
        ).all()
    }
    total = sum(counts.values())
    out: list[Row] = [
        {"result": result, "result_zh": name, "checks": int(counts.get(result, 0)), "share": _rate(int(counts.get(result, 0)), total)}
        for result, name in FIXITY_NAMES.items()
    ]
    return Table(
        "fixity",
        "完整性校验结果",
        [("result", "结果代码"), ("result_zh", "结果"), ("checks", "校验次数"), ("share", "占比")],
        out,
        totals={"checks": total},
        notes=["按校验日期统计；不一致或对象缺失的音像须立即核查。"],
        chart=("result_zh", "checks"),
    )


async def publications(session: AsyncSession, catalog: Catalog, scope: Scope, today: date, tz: tzinfo) -> Table:
    per = await timeliness(session, scope.agency, scope.start, scope.end, today, tz)
    out: list[Row] = []
    sums: Counter[str] = Counter()
    for kind, name in PUBLICATION_KINDS.items():
        found = per.get(kind) or {}
        counts = {key: int(found.get(key) or 0) for key in PUBLICATION_COUNTS}
        sums.update(counts)
        due = counts["published_on_time"] + counts["published_late"] + counts["unpublished_overdue"]
        out.append({"kind": kind, "kind_zh": name, **counts, "on_time_share": _rate(counts["published_on_time"], due)})
    return Table(
        "publications",
        "公示时效",
        [
            ("kind", "类别代码"),
            ("kind_zh", "类别"),
            ("publications", "公示事项"),
            ("not_publishable", "依法不公开"),
            ("published_on_time", "按期公示"),
            ("published_late", "逾期公示"),
            ("unpublished_overdue", "逾期未公示"),
            ("pending", "未到期待公示"),
            ("on_time_share", "按期率"),
            ("withdrawals_due", "应撤回"),
            ("withdrawn_on_time", "按期撤回"),
            ("withdrawn_late", "逾期撤回"),
            ("withdrawal_overdue", "逾期未撤回"),
        ],
        out,
        totals={key: sums[key] for key in ("publications", "published_on_time", "published_late", "unpublished_overdue")},
        notes=["按决定日期统计；公示期限和撤回期限按工作日计算。"],
        chart=("kind_zh", "on_time_share"),
    )


async def kinds(session: AsyncSession, catalog: Catalog, scope: Scope) -> Table:
    """Cases by kind of enforcement (行政许可 … 行政确认): a row for every kind the catalog has procedures of, zeros
    included, and one for any other kind the stored figures still hold (a procedure gone from the catalog)."""
    opened = (
        await session.execute(
            select(CaseFigures.kind, CaseFigures.status, CaseFigures.complete, func.count())
            .where(*scope.where(CaseFigures.agency, CaseFigures.opened_on))
            .group_by(CaseFigures.kind, CaseFigures.status, CaseFigures.complete)
        )
    ).all()
    decided = dict(
        (
            await session.execute(
                select(CaseFigures.kind, func.count())
                .where(*scope.where(CaseFigures.agency, CaseFigures.decided_on))
                .group_by(CaseFigures.kind)
            )
        ).all()
    )
    codes = catalog.kinds()
    codes += sorted(({kind for kind, *_ in opened} | set(decided)) - set(codes))
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in codes}
    for kind, status, complete, count in opened:
        counts[kind]["cases"] += count
        counts[kind]["closed"] += count if status == "closed" else 0
        counts[kind]["closed_complete"] += count if complete and status == "closed" else 0
    out: list[Row] = [
        {
            "kind": kind,
            "kind_zh": ENFORCEMENT_KINDS.get(kind, kind),
            "cases": c["cases"],
            "closed": c["closed"],
            "closed_complete": c["closed_complete"],
            "rate": _rate(c["closed_complete"], c["closed"]),
            "decisions": decided.get(kind, 0),
        }
        for kind, c in counts.items()
    ]
    totals: Totals = {key: sum(c[key] for c in counts.values()) for key in ("cases", "closed", "closed_complete")}
    totals["decisions"] = sum(decided.values())
    return Table(
        "kinds",
        "案件数（按执法行为类别）",
        [
            ("kind", "类别代码"),
            ("kind_zh", "类别"),
            ("cases", "立案（受理）"),
            ("closed", "已结案"),
            ("closed_complete", "已结案且无问题"),
            ("rate", "完整率（已结案）"),
            ("decisions", "作出决定"),
        ],
        out,
        totals=totals,
        notes=["立案、结案和完整率按立案日期统计，作出决定按决定日期统计；每一类别都列出，本期没有的记为 0。"],
        chart=("kind_zh", "cases"),
    )


async def complaints(session: AsyncSession, scope: Scope, today: date) -> Table:
    """投诉 by kind, counted by the day filed: answered by the due date, late, open past it (as of today), open."""
    query = select(ComplaintDay.about, ComplaintDay.due_on, ComplaintDay.filed, ComplaintDay.replied, ComplaintDay.replied_late)
    sums: dict[str, Counter[str]] = defaultdict(Counter)
    for about, due_on, filed, replied, late in (
        await session.execute(query.where(*scope.where(ComplaintDay.agency, ComplaintDay.filed_on)))
    ).all():
        open_ = filed - replied
        sums[about].update(filed=filed, replied_on_time=replied - late, replied_late=late, open_overdue=open_ if due_on < today else 0)
        sums[about]["open"] += open_
    rows: list[Row] = []
    for about, name in names("complaint_about").items():
        counts = {key: sums[about][key] for key in ("filed", "replied_on_time", "replied_late", "open", "open_overdue")}
        due = counts["replied_on_time"] + counts["replied_late"] + counts["open_overdue"]
        rows.append({"about": about, "about_zh": name, **counts, "on_time_share": _rate(counts["replied_on_time"], due)})
    return Table(
        "complaints",
        "投诉办理",
        [
            ("about", "投诉对象代码"),
            ("about_zh", "投诉对象"),
            ("filed", "收到投诉"),
            ("replied_on_time", "按期答复"),
            ("replied_late", "逾期答复"),
            ("open", "未答复"),
            ("open_overdue", "其中已逾期"),
            ("on_time_share", "按期答复率"),
        ],
        rows,
        totals={
            key: sum(int(row[key] or 0) for row in rows) for key in ("filed", "replied_on_time", "replied_late", "open", "open_overdue")
        },
        notes=["按收到投诉的日期统计；答复期限按工作日计算。"],
        chart=("about_zh", "filed"),
        codes=frozenset({"about"}),
    )


# --- issue 27: 关联率, the share of footage filed to a case within 7 days of upload (stats.filing) ---------------------


async def filing_rate(session: AsyncSession, scope: Scope) -> Table:
    by_agency = scope.agency is None
    out: list[Row] = []
    totals: Counter[str] = Counter()
    for counts in await filing_rows(session, scope.agency, scope.start, scope.end):
        row: Row = {"month": str(counts["month"])}
        if by_agency:
            row["agency"] = str(counts["agency"])
        numbers = {key: int(str(counts[key])) for key in FILING_COUNTS}
        totals.update(numbers)
        decided = numbers["filed_within"] + numbers["filed_later"] + numbers["not_filed"]
        out.append({**row, **numbers, "rate": _rate(numbers["filed_within"], decided)})
    decided = totals["filed_within"] + totals["filed_later"] + totals["not_filed"]
    return Table(
        "filing-rate",
        f"音像关联率（上传后{FILED_WITHIN_DAYS}日内关联案件）",
        [
            ("month", "上传月份"),
            *([("agency", "单位")] if by_agency else []),
            ("uploaded", "上传音像"),
            ("filed_within", f"{FILED_WITHIN_DAYS}日内关联"),
            ("filed_later", f"{FILED_WITHIN_DAYS}日后关联"),
            ("not_filed", "未关联"),
            ("pending", f"上传未满{FILED_WITHIN_DAYS}日、尚未关联"),
            ("rate", "关联率"),
        ],
        out,
        totals={**{key: totals[key] for key in FILING_COUNTS}, "rate": _rate(totals["filed_within"], decided)},
        notes=[
            f"按上传日期统计；“关联”指绑定到案件环节或作为执法文书的附件，以目前仍有效的最早一次为准（解除绑定的不算）。"
            f"关联率 = {FILED_WITHIN_DAYS}日内关联 ÷（上传音像 − 上传未满{FILED_WITHIN_DAYS}日、尚未关联）。"
        ],
        chart=("month", "rate"),
    )


FILING_COUNTS = ("uploaded", "filed_within", "filed_later", "not_filed", "pending")


# The statistics read from the scope alone; `footage` is by a dimension, `publications` to a day (statistic()).
BY_SCOPE: dict[str, Callable[[AsyncSession, Catalog, Scope], Awaitable[Table]]] = {
    "cases": case_counts,
    "kinds": kinds,
    "completeness": completeness,
    "findings": findings,
    "time-limits": time_limits,
    "review-scores": review_scores,
    "upload-lag": upload_lag,
    "fixity": fixity,
}
TITLES = {
    "cases": "案件数",
    "kinds": "执法行为类别",
    "completeness": "记录完整率",
    "findings": "问题类别",
    "time-limits": "法定期限",
    "review-scores": "评查得分",
    "footage": "音像时长",
    "upload-lag": "上传时效",
    "fixity": "完整性校验",
    "publications": "公示时效",
    "complaints": "投诉办理",
    "filing-rate": "音像关联率",  # issue 27
    # issue 27: devices (stats/devices.py)
    "device-usage": "设备使用率",
    "device-officers": "设备与人员",
}
STATISTICS = tuple(TITLES)  # every statistic, in the dashboard's order


async def figures_state(session: AsyncSession) -> int:
    mark = await session.get(StatsWatermark, 1)
    return mark.seq if mark else 0


# --- the annual report -------------------------------------------------------------------------


@dataclass
class ReportTable:
    kind: str
    title_zh: str
    columns: list[tuple[str, str]]
    rows: list[Row]  # one per procedure, then 合计


@dataclass
class AnnualReport:
    year: int
    agency: str | None
    agency_name: str
    title: str
    due_on: date
    tables: list[ReportTable]
    notes: list[str]


@dataclass
class _Decisions:
    """One procedure's line of the annual report as it is counted."""

    code: str
    name: str
    counts: Counter[str] = field(default_factory=Counter)
    amount_yuan: float = 0.0

    def row(self, keys: Sequence[str]) -> Row:
        return {
            "procedure": self.code,
            "procedure_zh": self.name,
            **{key: round(self.amount_yuan / 10_000, 4) if key == "amount_wan" else self.counts[key] for key in keys},
        }


async def annual_report(session: AsyncSession, catalog: Catalog, agency: str | None, year: int, day: date) -> AnnualReport:
    """行政执法统计年报: decisions dated in the year (revoked ones included), a decision with several penalties
    counted once under its most severe kind; licence changes and renewals count as 许可 / 不予许可."""
    scope = Scope(agency, date(year, 1, 1), date(year, 12, 31))
    decided = (
        await session.execute(
            select(
                CaseFigures.procedure,
                CaseFigures.kind,
                CaseFigures.severest_penalty,
                CaseFigures.license_outcome,
                CaseFigures.license_action,
                CaseFigures.sealing,
                CaseFigures.seizure,
                CaseFigures.problems_found,
                CaseFigures.hearing_held,
                CaseFigures.revoked,
                func.count(),
                func.sum(CaseFigures.fine_yuan + CaseFigures.confiscated_yuan),
            )
            .where(*scope.where(CaseFigures.agency, CaseFigures.decided_on))
            .group_by(
                CaseFigures.procedure,
                CaseFigures.kind,
                CaseFigures.severest_penalty,
                CaseFigures.license_outcome,
                CaseFigures.license_action,
                CaseFigures.sealing,
                CaseFigures.seizure,
                CaseFigures.problems_found,
                CaseFigures.hearing_held,
                CaseFigures.revoked,
            )
        )
    ).all()
    opened = dict(
        (
            await session.execute(
                select(CaseFigures.procedure, func.count())
                .where(*scope.where(CaseFigures.agency, CaseFigures.opened_on))
                .group_by(CaseFigures.procedure)
            )
        ).all()
    )
    penalty_kinds = list(reversed(catalog.statistics.penalty_kinds))  # most severe first, as reports read
    columns = {
        "license": [
            ("accepted", "受理申请"),
            ("decisions", "作出决定"),
            ("granted", "准予许可"),
            ("refused", "不予许可"),
            ("unrecorded", "未登记结果"),
            ("changes", "其中：变更"),
            ("renewals", "其中：延续"),
            ("revoked", "其中：被撤销"),
        ],
        "penalty": [
            ("decisions", "处罚决定"),
            *((f"p_{k.code}", k.name_zh) for k in penalty_kinds),
            ("unrecorded", "未登记种类"),
            ("amount_wan", "罚没金额（万元）"),
            ("hearings", "其中：听证"),
            ("revoked", "其中：被撤销"),
        ],
        "coercion": [("decisions", "强制措施决定"), ("sealing", "查封"), ("seizure", "扣押"), ("revoked", "其中：被撤销")],
        "inspection": [("decisions", "检查次数"), ("problems", "发现问题"), ("no_problems", "未发现问题")],
        "levy": [("decisions", "征收决定"), ("revoked", "其中：被撤销")],
        "confirmation": [("accepted", "受理申请"), ("decisions", "确认决定"), ("revoked", "其中：被撤销")],
    }
    generic = [("decisions", "作出决定"), ("revoked", "其中：被撤销")]
    lines: defaultdict[str, dict[str, _Decisions]] = defaultdict(dict)
    kinds_present = catalog.kinds()
    for definition in catalog.procedures:
        line = lines[definition.kind][definition.code] = _Decisions(definition.code, definition.name_zh)
        if any(key == "accepted" for key, _ in columns.get(definition.kind, generic)):  # 许可, 确认: applications accepted
            line.counts["accepted"] = opened.get(definition.code, 0)
    for procedure, kind, severest, outcome, action, sealing, seizure, problems, hearing, revoked, count, amount in decided:
        # a procedure no longer in the catalog still counts, under its code
        line = lines[kind].setdefault(procedure, _Decisions(procedure, procedure))
        counts = line.counts
        counts["decisions"] += count
        counts["revoked"] += count if revoked else 0
        if kind == "license":
            counts[outcome if outcome in ("granted", "refused") else "unrecorded"] += count
            counts["changes"] += count if action == "change" else 0
            counts["renewals"] += count if action == "renewal" else 0
        elif kind == "penalty":
            counts[f"p_{severest}" if severest else "unrecorded"] += count
            line.amount_yuan += float(amount or 0)
            counts["hearings"] += count if hearing else 0
        elif kind == "coercion":
            counts["sealing"] += count if sealing else 0
            counts["seizure"] += count if seizure else 0
        elif kind == "inspection":
            counts["problems" if problems else "no_problems"] += count
    tables = []
    for kind in kinds_present:
        cols = columns.get(kind, generic)
        keys = [key for key, _ in cols]
        body = list(lines[kind].values())
        total = _Decisions("", "合计", sum((line.counts for line in body), Counter()), sum(line.amount_yuan for line in body))
        tables.append(
            ReportTable(
                kind, ENFORCEMENT_KINDS[kind], [("procedure_zh", "程序"), *cols], [*(line.row(keys) for line in body), total.row(keys)]
            )
        )
    tables += await _inspection_tables(session, agency, year, day)
    name = await scope_name(session, agency)
    return AnnualReport(
        year=year,
        agency=agency,
        agency_name=name,
        title=report_title(year, agency, name),
        due_on=date(year + 1, 1, 31),
        tables=tables,
        notes=[
            f"统计范围：决定日期在{year}年1月1日至12月31日之间的执法决定，含其后被撤销的决定。",
            "一个决定并处多种处罚的，按其中最重的处罚种类计一次（没收违法所得并处罚款的计为没收）。",
            "许可的变更、延续，准予的计为准予许可，不予准予的计为不予许可。",
            "查封、扣押并用的，分别计入查封和扣押，强制措施决定计一次。",
            "未登记结果或处罚种类的决定单列，请在办案系统中补录后重新统计。",
            f"双随机抽查按{year}年度的抽查计划统计：抽取比例为抽取对象数占名录库中符合条件对象数的比例，逾期指检查结果超过 20 个工作日尚未公示。",
        ],
    )


async def _inspection_tables(session: AsyncSession, agency: str | None, year: int, day: date) -> list[ReportTable]:
    """双随机抽查 in the 年报: each plan of the year (pool, drawn, share, done, published, overdue), then the results."""
    figures = await year_figures(session, agency, year, day)
    keys = ("pool_size", "drawn", "done", "published", "overdue")
    plans: list[Row] = [
        {"procedure_zh": f"{p.number} {p.name}", **{k: getattr(p, k) or 0 for k in keys}, "share": p.coverage} for p in figures.by_plan
    ]
    total: Row = {"procedure_zh": "合计", **{k: sum(int(r[k] or 0) for r in plans) for k in keys}, "share": figures.coverage}
    columns = [
        ("procedure_zh", "抽查计划"),
        ("pool_size", "名录库对象数"),
        ("drawn", "抽取对象数"),
        ("share", "抽取比例"),
        ("done", "已完成检查"),
        ("published", "已公示结果"),
        ("overdue", "逾期未公示"),
    ]
    results: list[Row] = [{"procedure_zh": name_of("inspection_result", code), "tasks": count} for code, count in figures.results.items()]
    results.append({"procedure_zh": "合计", "tasks": sum(figures.results.values())})
    return [
        ReportTable("random-inspection", "双随机抽查", columns, [*plans, total]),
        ReportTable("random-inspection-results", "双随机抽查结果", [("procedure_zh", "检查结果"), ("tasks", "任务数")], results),
    ]


# What the API and the pages both answer with: a period checked against the reader, figures brought up to date,
# a table as JSON, CSV or XLSX.
MAX_DAYS = 3660
CATCH_UP_CASES, CATCH_UP_SECONDS = 50, 2.0  # a request brings the figures up to date itself, in rounds, for so long


def scope_of(principal: Principal, agency: str | None, start: date | None, end: date | None, day: date) -> Scope:
    if principal.agency != ALL_AGENCIES and agency not in (None, principal.agency):
        raise Problem(403, "agency-not-yours", f"Statistics of agency {agency} are not yours to read.")
    scope = Scope(agency if principal.agency == ALL_AGENCIES else principal.agency, start or date(day.year, 1, 1), end or day)
    if scope.end < scope.start:
        raise Problem(
            400,
            "invalid-query",
            f"'to' ({scope.end}) is before 'from' ({scope.start}).",
            detail_zh=text("period_backwards", start=scope.start, end=scope.end),
        )
    if (scope.end - scope.start).days > MAX_DAYS:
        raise Problem(400, "invalid-query", f"A period is at most {MAX_DAYS} days.", detail_zh=text("period_too_long", days=MAX_DAYS))
    return scope


async def current_figures(request: Request, session: AsyncSession) -> tuple[int, int]:
    """Bring the figures up to date for up to CATCH_UP_SECONDS (the worker does the rest every 10 s); return
    (followed to, still pending)."""
    app = request.app
    deadline = time.monotonic() + CATCH_UP_SECONDS
    try:
        while time.monotonic() < deadline:
            progress = await follow(app.state.sessionmaker, app.state.catalog, app.state.settings, max_rounds=1, max_cases=CATCH_UP_CASES)
            if progress.events == 0 or progress.pending == 0:
                break
    except Exception:  # another writer held the database: the worker catches up; the answer says what is pending
        logger.warning("statistics could not catch up in the request", exc_info=True)
    through = await figures_state(session)
    return through, max(0, await head_seq(session) - through)


def sheet_row(row: Row, keys: Sequence[str]) -> list[Cell | Percent]:
    """A row as a workbook's cells: ratios as percentages (a number formatted 0.0%), the rest as they are."""
    cells: list[Cell | Percent] = []
    for key in keys:
        value = row.get(key)
        cells.append(Percent(value) if key in PERCENT_COLUMNS and isinstance(value, (int, float)) else value)
    return cells


async def table_response(table: Table, scope: Scope, fmt: str, through: int, pending: int, agency_name: str) -> Response:
    """`agency_name` names the scope in titles and file names (scope_name)."""
    filename = f"{agency_name}-{table.title_zh}-{scope.start}-{scope.end}"
    keys = [key for key, _ in table.columns]
    headers = {"Cache-Control": "no-store", "X-Figures-Through-Seq": str(through), "X-Pending-Events": str(pending)}
    if fmt == "csv":
        body = await asyncio.to_thread(csv_bytes, [title for _, title in table.columns], ([row.get(k) for k in keys] for row in table.rows))
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={
                **headers,
                "Content-Disposition": f"attachment; filename=\"{table.name}.csv\"; filename*=UTF-8''{quote(filename)}.csv",
            },
        )
    if fmt == "xlsx":
        title = f"{table.title_zh}（{scope.start} 至 {scope.end}，{agency_name}）"
        rows: list[Sequence[object]] = [sheet_row(row, keys) for row in table.rows]
        rows += [[], *([note] for note in table.notes)]
        body = await asyncio.to_thread(xlsx_bytes, [(table.title_zh, [[title], [t for _, t in table.columns]], rows)])
        return Response(
            body,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                **headers,
                "Content-Disposition": f"attachment; filename=\"{table.name}.xlsx\"; filename*=UTF-8''{quote(filename)}.xlsx",
            },
        )
    out = StatsOut.model_validate(
        {
            "name": table.name,
            "title_zh": table.title_zh,
            "agency": scope.agency,
            "agency_name": agency_name,
            "from": scope.start,
            "to": scope.end,
            "columns": [Column(key=k, title_zh=t) for k, t in table.columns],
            "rows": table.rows,
            "totals": table.totals,
            "notes": table.notes,
            "figures_through_seq": through,
            "pending_events": pending,
        }
    )
    return Response(out.model_dump_json(by_alias=True), media_type="application/json", headers=headers)


async def statistic(name: str, request: Request, session: AsyncSession, settings: Settings, scope: Scope, group_by: str) -> Table:
    catalog = get_catalog(request)
    if name == "footage":
        return await footage(session, catalog, scope, group_by)
    if name == "publications":
        return await publications(session, catalog, scope, today(settings.tz), settings.tz)
    if name == "complaints":
        return await complaints(session, scope, today(settings.tz))
    if name == "filing-rate":  # issue 27
        return await filing_rate(session, scope)
    if name in ("device-usage", "device-officers"):  # issue 27: devices
        from .devices import DEVICE_STATISTICS  # it reads this module's Table and Scope

        return await DEVICE_STATISTICS[name](session, scope, today(settings.tz), settings.tz)
    if name not in BY_SCOPE:
        raise Problem(404, "statistic-not-found", f"No statistic '{name}'; there are: {', '.join(STATISTICS)}, annual-report.")
    return await BY_SCOPE[name](session, catalog, scope)


async def report_xlsx_response(report: AnnualReport) -> Response:
    body = await asyncio.to_thread(report_xlsx, report)
    filename = f"{report.title}.xlsx"
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f"attachment; filename=\"annual-report-{report.year}.xlsx\"; filename*=UTF-8''{quote(filename)}",
        },
    )


def report_xlsx(report: AnnualReport) -> bytes:
    sheets: list[tuple[str, list[list[str]], list[Sequence[object]]]] = []
    for table in report.tables:
        keys = [key for key, _ in table.columns]
        sheets.append(
            (
                table.title_zh,
                [[f"{report.title} · {table.title_zh}"], [t for _, t in table.columns]],
                [sheet_row(row, keys) for row in table.rows],
            )
        )
    sheets.append(("统计说明", [[f"{report.title}，报送期限 {report.due_on}"]], [[note] for note in report.notes]))
    return xlsx_bytes(sheets)
