"""Statutory time limits of a case, decided from its stages, documents and facts on the working-day calendar.

Pure: given the rules (catalog data), the case's record (stage rows, current document versions, facts,
parties, approved extensions and paused periods), the calendar and today's date, it returns every
applicable limit with its state, and a `time_limit` finding for each one missed. A limit still running is
a deadline with its due date, not a finding.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from sqlalchemy import RowMapping

from ..catalog.schemas import AmountLimit, LimitEvent, TimeLimitRule
from ..core.values import sane_date
from ..workdays.counting import MAX_LIMIT_DAYS, WorkingCalendar
from .model import AdjustableDeadline, AdjustableLimitMissed, AmountOverLimit, Deadline, Finding, LimitMissed, widened

if TYPE_CHECKING:
    from ..cases.models import CaseStage, LimitAdjustment

MOMENTS = {"issued": "issued_at", "signed": "signed_at", "served": "served_at"}
VOID = "void"


@dataclass
class CaseRecord:
    """What the limits read of one case."""

    procedure: str
    stages: "dict[str, CaseStage]"  # stage code → CaseStage row
    documents: Sequence[RowMapping]  # current versions, joined with their document
    facts: dict[str, Any] = field(default_factory=dict)
    parties: list[dict[str, Any]] = field(default_factory=list)
    adjustments: "Sequence[LimitAdjustment]" = field(default_factory=list)


class Adjusted(TypedDict):
    """What extensions and pauses did to an adjustable limit (the fields AdjustableDeadline adds)."""

    extension_days: int
    paused_days: int
    paused_now: bool
    late_extensions: list[str]


def _event_day(event: LimitEvent, record: CaseRecord, tz: tzinfo) -> date | None:
    stages, documents = record.stages, record.documents
    moment: datetime | None = None
    if event.fact is not None:
        value = record.facts.get(event.fact)
        return date.fromisoformat(value) if value else None
    if event.attribute is not None:
        row = stages.get(event.stage) if event.stage is not None else None  # an attribute event names its stage
        return _attribute_day(row.attributes.get(event.attribute) if row is not None and row.status != "skipped" else None, tz)
    if event.stage is not None:
        row = stages.get(event.stage)
        if row is not None and row.status != "skipped":
            moment = next((getattr(row, f"{at}_at") for at in event.at if getattr(row, f"{at}_at") is not None), None)
    else:
        assert event.document is not None  # an event is a stage's, a document's or a fact (LimitEvent._one_kind)
        candidates: list[datetime] = []
        for document in documents:
            if document["doc_type"] in event.document and document["status"] != VOID:
                found = next((document[MOMENTS[at]] for at in event.at if document[MOMENTS[at]] is not None), None)
                if found is not None:
                    candidates.append(found)
        moment = min(candidates) if candidates else None
    return moment.astimezone(tz).date() if moment is not None else None


def _attribute_day(value: object, tz: tzinfo) -> date | None:
    """A stage attribute holding a date (2026-09-03) or a time with its offset; anything else is no date."""
    if not isinstance(value, str):
        return None
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
        if day is None:
            moment = datetime.fromisoformat(value)
            day = moment.astimezone(tz).date() if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None
    return day if day is not None and sane_date(day) else None


def evaluate(
    rules: list[TimeLimitRule],
    record: CaseRecord,
    calendar: WorkingCalendar,
    today: date,
    tz: tzinfo,
    stage_names: dict[str, str],
    amount_limits: Sequence[AmountLimit] = (),
) -> tuple[list[Deadline], list[Finding]]:
    """(deadlines, findings) for one case."""
    deadlines: list[Deadline] = []
    findings: list[Finding] = []
    stages = record.stages
    for rule in rules:
        if record.procedure not in rule.procedures:
            continue
        if rule.unless_stage_held:
            held = stages.get(rule.unless_stage_held)
            if held is not None and held.status != "skipped" and held.started_at is not None:
                continue
        if rule.unless_stage_skipped:
            skipped = stages.get(rule.unless_stage_skipped)
            if skipped is not None and skipped.status == "skipped":
                continue
        start = _event_day(rule.start, record, tz)
        if start is None:
            continue  # the limit has not started to run
        end = _event_day(rule.end, record, tz)
        limit = rule.longer_when.limit if rule.longer_when and record.facts.get(rule.longer_when.fact) else rule.limit
        adjusted = _adjusted(rule, record.adjustments, start, end or today, calendar)
        if rule.count == "working":
            due = calendar.add_working_days(start, limit)
        elif rule.count == "years":
            due = calendar.add_years(start, limit)
        else:
            due = calendar.add_calendar_days(start, limit + adjusted["extension_days"] + adjusted["paused_days"])
        state = _state(rule.direction, due.due_on, end, today, paused=adjusted["paused_now"])
        reached = end or today
        if rule.count == "working" and abs((reached - start).days) <= MAX_LIMIT_DAYS:
            used, provisional = calendar.working_days_between(start, reached)
        else:
            used, provisional = max(0, (reached - start).days - adjusted["paused_days"]), False
        plain_deadline = Deadline(
            rule=rule.code,
            name_zh=rule.name_zh,
            name_en=rule.name_en,
            basis=rule.basis,
            stage=rule.stage,
            start=start,
            end=end,
            due_on=due.due_on,
            limit_days=limit if rule.count != "years" else None,
            limit_years=limit if rule.count == "years" else None,
            count=rule.count,
            direction=rule.direction,
            used_days=used,
            provisional=due.provisional or provisional,
            state=state,
        )
        deadline = widened(plain_deadline, AdjustableDeadline, **adjusted) if rule.adjustable else plain_deadline
        deadlines.append(deadline)
        if state == "missed":
            findings.append(_finding(rule, deadline, stage_names.get(rule.stage, rule.stage)))
    for ceiling in amount_limits:
        finding = _amount_finding(ceiling, record, stage_names.get(ceiling.stage, ceiling.stage))
        if finding is not None:
            findings.append(finding)
    return deadlines, findings


def _adjusted(
    rule: TimeLimitRule, adjustments: "Sequence[LimitAdjustment]", start: date, reached: date, calendar: WorkingCalendar
) -> Adjusted:
    """Extensions approved in time and the days paused since the limit started (overlapping pauses count once)."""
    mine = [a for a in adjustments if a.rule == rule.code]
    paused: set[date] = set()
    paused_now = False
    for pause in (a for a in mine if a.kind == "pause"):
        assert pause.paused_from is not None  # a pause is refused without its first day (cases.adjustments)
        last = min(pause.paused_to or reached, reached)  # days beyond the event (or today) do not move its limit
        paused_now |= pause.paused_to is None
        day = max(pause.paused_from, start + timedelta(days=1))
        while day <= last:
            paused.add(day)
            day += timedelta(days=1)
    extension, late = 0, []
    for approved in sorted((a for a in mine if a.kind == "extension"), key=lambda a: (a.approved_on or date.min, a.created_at)):
        # an extension is refused without its days and approval date (cases.adjustments)
        assert approved.approved_on is not None and approved.days is not None
        # An extension counts only when approved before the limit (as extended so far) ran out.
        due = calendar.add_calendar_days(start, rule.limit + extension + len(paused)).due_on
        if approved.approved_on <= due:
            extension += approved.days
        else:
            late.append(approved.id)
    return {"extension_days": extension, "paused_days": len(paused), "paused_now": paused_now, "late_extensions": late}


def _amount_finding(rule: AmountLimit, record: CaseRecord, stage_name: str) -> AmountOverLimit | None:
    fine = record.facts.get("fine_yuan")
    if record.procedure not in rule.procedures or fine is None or not record.parties:
        return None
    kind: Literal["person", "organization"] = "organization" if any(p.get("kind") == "organization" for p in record.parties) else "person"
    ceiling = Decimal(str(rule.max_yuan[kind]))
    if Decimal(fine) <= ceiling:
        return None
    who_zh = "法人或者其他组织" if kind == "organization" else "公民"
    return AmountOverLimit(
        stage=rule.stage,
        rule=rule.code,
        message=f"{rule.stage}: {rule.name_en} ({rule.basis}): a fine of {fine} yuan exceeds {ceiling} for this party.",
        message_zh=f"{stage_name}：{rule.name_zh}（{rule.basis}）：对{who_zh}当场罚款 {fine} 元，超过 {ceiling} 元，应适用一般程序。",
        amount_yuan=float(Decimal(fine)),
        max_yuan=float(ceiling),
        party_kind=kind,
        provisional=False,
    )


def _state(direction: str, due: date, end: date | None, today: date, paused: bool = False) -> str:
    """running (within, not yet done, due date ahead), paused (its clock stopped for now), waiting (a window
    still open), lapsed (a party's window closed unused), kept, or missed."""
    if direction == "within":
        if end is None:
            if paused:
                return "paused"
            return "running" if today <= due else "missed"
        return "kept" if end <= due else "missed"
    if direction == "within_if_any":  # the party's option: never exercised is no fault, exercised late is
        if end is None:
            return "waiting" if today <= due else "lapsed"
        return "kept" if end <= due else "missed"
    if end is None:
        return "waiting"
    if direction == "after":
        return "kept" if end > due else "missed"
    return "kept" if end >= due else "missed"  # not_before


def _finding(rule: TimeLimitRule, deadline: Deadline, stage_name: str) -> LimitMissed:
    unit_en, unit_zh = {"working": ("working days", "个工作日"), "calendar": ("days", "日"), "years": ("years", "年")}[rule.count]
    used_zh = "个工作日" if rule.count == "working" else "日"
    limit = deadline.limit_years if rule.count == "years" else deadline.limit_days
    start, end, due = deadline.start.isoformat(), deadline.end, deadline.due_on.isoformat()
    adjusted_en = adjusted_zh = ""
    adjustable = deadline if isinstance(deadline, AdjustableDeadline) else None
    if adjustable is not None and (adjustable.extension_days or adjustable.paused_days):
        adjusted_en = f" (with {adjustable.extension_days} days extended and {adjustable.paused_days} not counted)"
        adjusted_zh = f"（含批准延长 {adjustable.extension_days} 日、不计入期限 {adjustable.paused_days} 日）"
    if adjustable is not None and adjustable.late_extensions:
        adjusted_en += "; an extension approved after the limit had run out does not count"
        adjusted_zh += "；期限届满后才批准的延长不计入"
    if rule.direction in ("within", "within_if_any"):
        when = end.isoformat() if end else "not yet"
        message = f"{rule.stage}: {rule.name_en} ({rule.basis}): {limit} {unit_en} from {start}, due {due}{adjusted_en}; done {when}."
        message_zh = f"{stage_name}：{rule.name_zh}（{rule.basis}）：自 {start} 起 {limit} {unit_zh}，应于 {due} 前完成{adjusted_zh}，" + (
            f"实际 {end.isoformat()}，用时 {deadline.used_days} {used_zh}。" if end else "至今未完成。"
        )
    else:
        assert end is not None  # an after / not_before limit is missed only by something that happened
        message = f"{rule.stage}: {rule.name_en} ({rule.basis}): {limit} {unit_en} from {start} end on {due}; it happened on {end}."
        message_zh = f"{stage_name}：{rule.name_zh}（{rule.basis}）：自 {start} 起 {limit} {unit_zh}至 {due}，却于 {end.isoformat()} 发生。"
    missed = LimitMissed(
        stage=rule.stage,
        message=message,
        message_zh=message_zh,
        rule=rule.code,
        start=start,
        end=end.isoformat() if end else None,
        due_on=due,
        limit_days=deadline.limit_days,
        limit_years=deadline.limit_years,
        count=rule.count,
        used_days=deadline.used_days,
        provisional=deadline.provisional,
    )
    if adjustable is None:
        return missed
    return widened(missed, AdjustableLimitMissed, extension_days=adjustable.extension_days, paused_days=adjustable.paused_days)
