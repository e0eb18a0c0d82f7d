"""The statistics, each a table read from the stored figures: cases, completeness, findings, time limits,
review scores, footage, upload lag, fixity, publication timeliness; and the annual report."""

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Float, Select, case, cast, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..agencies.service import agency_name, get_agency
from ..audit.service import head_seq
from ..catalog.schemas import ENFORCEMENT_KINDS, Catalog
from ..catalog.service import get_catalog
from ..core.messages import names, text
from ..core.principals import ALL_AGENCIES, Principal
from ..core.problems import Problem, logger
from ..core.sheets import csv_bytes, xlsx_bytes
from ..core.times import today
from ..publication.service import timeliness
from .models import CaseFigures, CaseFindingCount, FixityDay, FootageDay, StatsWatermark
from .refresh import follow
from .schemas import StatsOut

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


@dataclass
class Table:
    name: str
    title_zh: str
    columns: list[tuple[str, str]]  # (key, Chinese heading)
    rows: list[dict]
    totals: dict | None = None
    notes: list[str] = field(default_factory=list)
    chart: tuple[str, str] | None = None  # (label column, value column) drawn as bars


@dataclass(frozen=True)
class Scope:
    agency: str | None  # None: every agency (an all-agency administrator)
    start: date
    end: date  # inclusive

    def where(self, agency_column, day_column) -> list:
        conditions = [day_column >= self.start, day_column <= self.end]
        if self.agency is not None:
            conditions.append(agency_column == self.agency)
        return conditions


def cases_by_problems(has_problems: bool) -> Select:
    """The ids of the cases whose stored figures show findings (completeness, missed limits, review) — or, with
    False, none. The case list's `has_problems` filter (cases knows nothing of statistics; the composition root
    hands it this query). A case whose figures are not computed yet is in neither."""
    troubled = or_(CaseFigures.findings > 0, CaseFigures.complete.is_(False))
    return select(CaseFigures.case_id).where(troubled if has_problems else not_(troubled))


async def findings_of_cases(session: AsyncSession, case_ids: list[str]) -> dict[str, int]:
    """The number of findings each of these cases has in its stored figures (absent: not computed yet)."""
    if not case_ids:
        return {}
    rows = await session.execute(select(CaseFigures.case_id, CaseFigures.findings).where(CaseFigures.case_id.in_(case_ids)))
    return {case_id: findings for case_id, findings in rows.all()}


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
    months: dict[tuple, int] = defaultdict(int)
    for procedure, status, opened_on, count in rows:
        months[(opened_on.strftime("%Y-%m"), procedure, status)] += count
    out = [
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
    by_procedure: dict[str, int] = defaultdict(int)
    for row in out:
        by_procedure[row["procedure_zh"]] += row["cases"]
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
        totals={"cases": sum(r["cases"] for r in out), "by_procedure": dict(by_procedure)},
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
    per: dict[str, dict] = {}
    for procedure, status, complete, count in rows:
        row = per.setdefault(
            procedure,
            {
                "procedure": procedure,
                "procedure_zh": _procedure_name(catalog, procedure),
                "cases": 0,
                "closed": 0,
                "complete": 0,
                "closed_complete": 0,
            },
        )
        row["cases"] += count
        row["closed"] += count if status == "closed" else 0
        row["complete"] += count if complete else 0
        row["closed_complete"] += count if complete and status == "closed" else 0
    out = sorted(per.values(), key=lambda r: r["procedure"])
    for row in out:
        row["rate"] = _rate(row["closed_complete"], row["closed"])
    totals = {key: sum(r[key] for r in out) for key in ("cases", "closed", "complete", "closed_complete")}
    totals["rate"] = _rate(totals["closed_complete"], totals["closed"])
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
    per: dict[str, dict] = {}
    for kind, _code, cases, count in rows:
        row = per.setdefault(kind, {"kind": kind, "kind_zh": FINDING_NAMES.get(kind, kind), "cases": 0, "findings": 0})
        row["cases"] += cases  # a case with findings under two rules of one kind counts twice here
        row["findings"] += int(count)
    out = sorted(per.values(), key=lambda r: (-r["findings"], r["kind"]))
    return Table(
        "findings",
        "问题（按类别）",
        [("kind", "类别代码"), ("kind_zh", "类别"), ("cases", "涉及案件"), ("findings", "问题数")],
        out,
        totals={"findings": sum(r["findings"] for r in out)},
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
    out = []
    for rule in [*catalog.time_limits, *catalog.amount_limits]:
        applicable = sum(cases.get(code, 0) for code in rule.procedures)
        out.append(
            {
                "rule": rule.code,
                "rule_zh": rule.name_zh,
                "basis": rule.basis,
                "cases": applicable,
                "missed": missed.pop(rule.code, 0),
                "share": None,
            }
        )
        out[-1]["share"] = _rate(out[-1]["missed"], applicable)
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
        totals={"missed": sum(r["missed"] for r in out)},
        notes=["按立案日期统计；适用案件 = 该规则所属程序的案件数（含尚在期限内的）。"],
        chart=("rule_zh", "missed"),
    )


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
    per: dict[str, dict] = {}
    for procedure, index, count, total, lowest in rows:
        row = per.setdefault(
            procedure,
            {
                "procedure": procedure,
                "procedure_zh": _procedure_name(catalog, procedure),
                "cases": 0,
                "sum": 0.0,
                "lowest": None,
                **{f"band_{n}": 0 for n in range(len(labels))},
            },
        )
        row["cases"] += count
        row["sum"] += float(total or 0)
        row[f"band_{index}"] += count
        row["lowest"] = lowest if row["lowest"] is None else min(row["lowest"], lowest)
    out = sorted(per.values(), key=lambda r: r["procedure"])
    for row in out:
        row["mean"] = round(row.pop("sum") / row["cases"], 1) if row["cases"] else None
        row["lowest"] = round(row["lowest"], 1) if row["lowest"] is not None else None
    totals = {f"band_{n}": sum(r[f"band_{n}"] for r in out) for n in range(len(labels))}
    totals["cases"] = sum(r["cases"] for r in out)
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


async def footage(session: AsyncSession, catalog: Catalog, scope: Scope, group_by: str = "officer") -> Table:
    rows = (
        await session.execute(
            select(FootageDay.key, func.sum(FootageDay.clips), func.sum(FootageDay.seconds), func.sum(FootageDay.bytes))
            .where(FootageDay.dimension == group_by, *scope.where(FootageDay.agency, FootageDay.day))
            .group_by(FootageDay.key)
        )
    ).all()
    out = sorted(
        (
            {
                "key": key or "（未标明）",
                "clips": int(clips),
                "seconds": round(float(seconds), 1),
                "hours": round(float(seconds) / 3600, 2),
                "gib": round(int(size) / 2**30, 3),
            }
            for key, clips, seconds, size in rows
        ),
        key=lambda r: (-r["seconds"], r["key"]),
    )
    name = DIMENSIONS[group_by]
    return Table(
        "footage",
        f"音像记录时长（按{name}）",
        [("key", name), ("clips", "文件数"), ("seconds", "时长（秒）"), ("hours", "时长（小时）"), ("gib", "容量（GiB）")],
        out,
        totals={"clips": sum(r["clips"] for r in out), "hours": round(sum(r["hours"] for r in out), 2)},
        notes=["按录制日期统计（无录制时间的按上传日期）；一段音像有多名执法人员的，分别计入每人。"],
        chart=("key", "hours"),
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
    out = [
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
    counts = dict(
        (
            await session.execute(
                select(FixityDay.result, func.sum(FixityDay.checks))
                .where(*scope.where(FixityDay.agency, FixityDay.day))
                .group_by(FixityDay.result)
            )
        ).all()
    )
    total = sum(int(v) for v in counts.values())
    out = [
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


async def publications(session: AsyncSession, catalog: Catalog, scope: Scope, today: date, tz) -> Table:
    per = await timeliness(session, scope.agency, scope.start, scope.end, today, tz)
    out = []
    for kind, name in PUBLICATION_KINDS.items():
        row = {
            "kind": kind,
            "kind_zh": name,
            **per.get(
                kind,
                dict.fromkeys(
                    (
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
                    ),
                    0,
                ),
            ),
        }
        row["on_time_share"] = _rate(
            row["published_on_time"], row["published_on_time"] + row["published_late"] + row["unpublished_overdue"]
        )
        out.append(row)
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
        totals={key: sum(r[key] for r in out) for key in ("publications", "published_on_time", "published_late", "unpublished_overdue")},
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
    per = {
        kind: {"kind": kind, "kind_zh": ENFORCEMENT_KINDS.get(kind, kind), "cases": 0, "closed": 0, "closed_complete": 0} for kind in codes
    }
    for kind, status, complete, count in opened:
        row = per[kind]
        row["cases"] += count
        row["closed"] += count if status == "closed" else 0
        row["closed_complete"] += count if complete and status == "closed" else 0
    out = list(per.values())
    for row in out:
        row["decisions"] = decided.get(row["kind"], 0)
        row["rate"] = _rate(row["closed_complete"], row["closed"])
    totals = {key: sum(r[key] for r in out) for key in ("cases", "closed", "closed_complete", "decisions")}
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


STATISTICS = {
    "cases": case_counts,
    "kinds": kinds,
    "completeness": completeness,
    "findings": findings,
    "time-limits": time_limits,
    "review-scores": review_scores,
    "footage": footage,
    "upload-lag": upload_lag,
    "fixity": fixity,
    "publications": publications,
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
}


async def figures_state(session: AsyncSession) -> int:
    mark = await session.get(StatsWatermark, 1)
    return mark.seq if mark else 0


# --- the annual report -------------------------------------------------------------------------


@dataclass
class ReportTable:
    kind: str
    title_zh: str
    columns: list[tuple[str, str]]
    rows: list[dict]  # one per procedure, then 合计


async def annual_report(session: AsyncSession, catalog: Catalog, agency: str | None, year: int) -> dict:
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
    rows: dict[str, dict[str, dict]] = defaultdict(dict)
    kinds_present = catalog.kinds()
    for procedure in catalog.procedures:
        keys = [key for key, _ in columns.get(procedure.kind, generic)]
        rows[procedure.kind][procedure.code] = {"procedure": procedure.code, "procedure_zh": procedure.name_zh, **dict.fromkeys(keys, 0)}
        if "accepted" in rows[procedure.kind][procedure.code]:  # 许可, 确认: applications accepted in the year
            rows[procedure.kind][procedure.code]["accepted"] = opened.get(procedure.code, 0)
    for procedure, kind, severest, outcome, action, sealing, seizure, problems, hearing, revoked, count, amount in decided:
        row = rows[kind].get(procedure)
        if row is None:  # a procedure no longer in the catalog still counts
            row = rows[kind][procedure] = {
                "procedure": procedure,
                "procedure_zh": procedure,
                **dict.fromkeys((key for key, _ in columns.get(kind, generic)), 0),
            }
        row["decisions"] += count
        if "revoked" in row:
            row["revoked"] += count if revoked else 0
        if kind == "license":
            row[{"granted": "granted", "refused": "refused"}.get(outcome, "unrecorded")] += count
            row["changes"] += count if action == "change" else 0
            row["renewals"] += count if action == "renewal" else 0
        elif kind == "penalty":
            row[f"p_{severest}" if severest else "unrecorded"] += count
            row["amount_wan"] = round(row["amount_wan"] + float(amount or 0) / 10_000, 4)
            row["hearings"] += count if hearing else 0
        elif kind == "coercion":
            row["sealing"] += count if sealing else 0
            row["seizure"] += count if seizure else 0
        elif kind == "inspection":
            row["problems" if problems else "no_problems"] += count
    tables = []
    for kind in kinds_present:
        cols = columns.get(kind, generic)
        body = list(rows[kind].values())
        total = {
            "procedure": "",
            "procedure_zh": "合计",
            **{key: (round(sum(r[key] for r in body), 4) if key == "amount_wan" else sum(r[key] for r in body)) for key, _ in cols},
        }
        tables.append(ReportTable(kind, ENFORCEMENT_KINDS[kind], [("procedure_zh", "程序"), *cols], [*body, total]))
    name = await scope_name(session, agency)
    return {
        "year": year,
        "agency": agency,
        "agency_name": name,
        "title": report_title(year, agency, name),
        "due_on": date(year + 1, 1, 31),
        "tables": tables,
        "notes": [
            f"统计范围：决定日期在{year}年1月1日至12月31日之间的执法决定，含其后被撤销的决定。",
            "一个决定并处多种处罚的，按其中最重的处罚种类计一次（没收违法所得并处罚款的计为没收）。",
            "许可的变更、延续，准予的计为准予许可，不予准予的计为不予许可。",
            "查封、扣押并用的，分别计入查封和扣押，强制措施决定计一次。",
            "未登记结果或处罚种类的决定单列，请在办案系统中补录后重新统计。",
        ],
    }


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


async def current_figures(request: Request, session) -> tuple[int, int]:
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
        rows = [[row.get(k) for k in keys] for row in table.rows] + [[]] + [[note] for note in table.notes]
        body = await asyncio.to_thread(xlsx_bytes, [(table.title_zh, [[title], [t for _, t in table.columns]], rows)])
        return Response(
            body,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                **headers,
                "Content-Disposition": f"attachment; filename=\"{table.name}.xlsx\"; filename*=UTF-8''{quote(filename)}.xlsx",
            },
        )
    out = StatsOut(
        name=table.name,
        title_zh=table.title_zh,
        agency=scope.agency,
        agency_name=agency_name,
        from_=scope.start,
        to=scope.end,
        columns=[{"key": k, "title_zh": t} for k, t in table.columns],
        rows=table.rows,
        totals=table.totals,
        notes=table.notes,
        figures_through_seq=through,
        pending_events=pending,
    )
    return Response(out.model_dump_json(by_alias=True), media_type="application/json", headers=headers)


async def statistic(name: str, request: Request, session, settings, scope: Scope, group_by: str) -> Table:
    catalog = get_catalog(request)
    if name == "footage":
        return await STATISTICS[name](session, catalog, scope, group_by)
    if name == "publications":
        return await STATISTICS[name](session, catalog, scope, today(settings.tz), settings.tz)
    return await STATISTICS[name](session, catalog, scope)


async def report_xlsx_response(report: dict) -> Response:
    body = await asyncio.to_thread(report_xlsx, report)
    filename = f"{report['title']}.xlsx"
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f"attachment; filename=\"annual-report-{report['year']}.xlsx\"; filename*=UTF-8''{quote(filename)}",
        },
    )


def report_xlsx(report: dict) -> bytes:
    sheets = []
    for table in report["tables"]:
        keys = [key for key, _ in table.columns]
        sheets.append(
            (
                table.title_zh,
                [[f"{report['title']} · {table.title_zh}"], [t for _, t in table.columns]],
                [[row.get(k) for k in keys] for row in table.rows],
            )
        )
    sheets.append(("统计说明", [[f"{report['title']}，报送期限 {report['due_on']}"]], [[note] for note in report["notes"]]))
    return xlsx_bytes(sheets)
