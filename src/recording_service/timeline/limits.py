"""Statutory time limits of a case, decided from its stages and documents on the working-day calendar.

Pure: given the rules (catalog data), the case's stage rows and current document versions, the calendar
and today's date, it returns every applicable limit with its state, and a `time_limit` finding for each
one missed. A limit still running is a deadline with its due date, not a finding.
"""

from datetime import date, datetime

from ..catalog.schemas import LimitEvent, TimeLimitRule
from ..workdays.counting import WorkingCalendar

MOMENTS = {"issued": "issued_at", "signed": "signed_at", "served": "served_at"}
VOID = "void"


def _event_day(event: LimitEvent, stages: dict, documents: list[dict], tz) -> date | None:
    moment: datetime | None = None
    if event.stage is not None:
        row = stages.get(event.stage)
        if row is not None and row.status != "skipped":
            moment = next((getattr(row, f"{at}_at") for at in event.at if getattr(row, f"{at}_at") is not None), None)
    else:
        candidates = []
        for document in documents:
            if document["doc_type"] in event.document and document["status"] != VOID:
                found = next((document[MOMENTS[at]] for at in event.at if document[MOMENTS[at]] is not None), None)
                if found is not None:
                    candidates.append(found)
        moment = min(candidates) if candidates else None
    return moment.astimezone(tz).date() if moment is not None else None


def evaluate(rules: list[TimeLimitRule], procedure: str, stages: dict, documents: list[dict], calendar: WorkingCalendar,
             today: date, tz, stage_names: dict[str, str]) -> tuple[list[dict], list[dict]]:
    """(deadlines, findings) for one case."""
    deadlines, findings = [], []
    for rule in rules:
        if procedure not in rule.procedures:
            continue
        if rule.unless_stage_held:
            held = stages.get(rule.unless_stage_held)
            if held is not None and held.status != "skipped" and held.started_at is not None:
                continue
        start = _event_day(rule.start, stages, documents, tz)
        if start is None:
            continue  # the limit has not started to run
        end = _event_day(rule.end, stages, documents, tz)
        due = calendar.add_working_days(start, rule.limit) if rule.count == "working" else calendar.add_calendar_days(start, rule.limit)
        state = _state(rule.direction, due.due_on, end, today)
        reached = end or today
        if rule.count == "working":
            used, provisional = calendar.working_days_between(start, reached)
        else:
            used, provisional = max(0, (reached - start).days), False
        deadline = {
            "rule": rule.code, "name_zh": rule.name_zh, "name_en": rule.name_en, "basis": rule.basis, "stage": rule.stage,
            "start": start, "end": end, "due_on": due.due_on, "limit_days": rule.limit, "count": rule.count,
            "direction": rule.direction, "used_days": used, "provisional": due.provisional or provisional, "state": state,
        }
        deadlines.append(deadline)
        if state == "missed":
            findings.append(_finding(rule, deadline, stage_names.get(rule.stage, rule.stage)))
    return deadlines, findings


def _state(direction: str, due: date, end: date | None, today: date) -> str:
    """running (within, not yet done, due date ahead), waiting (a window still open), kept, or missed."""
    if direction == "within":
        if end is None:
            return "running" if today <= due else "missed"
        return "kept" if end <= due else "missed"
    if end is None:
        return "waiting"
    if direction == "after":
        return "kept" if end > due else "missed"
    return "kept" if end >= due else "missed"  # not_before


def _finding(rule: TimeLimitRule, deadline: dict, stage_name: str) -> dict:
    unit_en, unit_zh = ("working days", "个工作日") if rule.count == "working" else ("days", "日")
    start, end, due = deadline["start"].isoformat(), deadline["end"], deadline["due_on"].isoformat()
    if rule.direction == "within":
        when = end.isoformat() if end else "not yet"
        message = f"{rule.stage}: {rule.name_en} ({rule.basis}): from {start}, due {due}; done {when}."
        message_zh = (f"{stage_name}：{rule.name_zh}（{rule.basis}）：自 {start} 起 {rule.limit} {unit_zh}，应于 {due} 前完成，"
                      + (f"实际 {end.isoformat()}，用时 {deadline['used_days']} {unit_zh}。" if end else "至今未完成。"))
    else:
        message = f"{rule.stage}: {rule.name_en} ({rule.basis}): {rule.limit} {unit_en} from {start} end on {due}; it happened on {end}."
        message_zh = (f"{stage_name}：{rule.name_zh}（{rule.basis}）：自 {start} 起 {rule.limit} {unit_zh}至 {due}，"
                      f"却于 {end.isoformat()} 发生。")
    return {"stage": rule.stage, "kind": "time_limit", "message": message, "message_zh": message_zh, "rule": rule.code,
            "start": start, "end": end.isoformat() if end else None, "due_on": due, "limit_days": rule.limit, "count": rule.count,
            "used_days": deadline["used_days"], "provisional": deadline["provisional"]}
