"""Approved extensions of statutory limits and the periods not counted in them (听证, 公告, 检测, 鉴定),
recorded on the case with their reasons; the time limits read them."""

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import record
from ..catalog.schemas import Catalog
from ..core.db import utcnow
from ..core.principals import Principal
from ..core.problems import Problem
from ..core.values import sane_date
from .models import Case, Document, LimitAdjustment
from .schemas import LimitAdjustmentCreate, LimitAdjustmentEnd

EXTENSION_FIELDS = ("days", "approved_on", "approved_by")
PAUSE_FIELDS = ("reason", "paused_from", "paused_to")


async def adjustments_of(session: AsyncSession, case_id: str) -> list[LimitAdjustment]:
    return list(
        (
            await session.execute(
                select(LimitAdjustment).where(LimitAdjustment.case_id == case_id).order_by(LimitAdjustment.created_at, LimitAdjustment.id)
            )
        ).scalars()
    )


async def add_adjustment(
    session: AsyncSession, catalog: Catalog, principal: Principal, case: Case, body: LimitAdjustmentCreate
) -> LimitAdjustment:
    rule = catalog.time_limit(body.rule)
    if rule is None or rule.adjustable is None or case.procedure not in rule.procedures:
        adjustable = sorted(r.code for r in catalog.time_limits if r.adjustable and case.procedure in r.procedures)
        raise Problem(
            400,
            "rule-not-adjustable",
            f"'{body.rule}' is not a limit of this case that takes extensions or pauses (this case's: {', '.join(adjustable) or 'none'}).",
            field="rule",
        )
    for name in ("approved_on", "paused_from", "paused_to"):
        value = getattr(body, name)
        if value is not None and not sane_date(value):
            raise Problem(400, "date-out-of-range", f"'{name}' must lie between 1970 and 2200.", field=name)
    sent = body.model_fields_set
    wrong = [
        name
        for name in (PAUSE_FIELDS if body.kind == "extension" else EXTENSION_FIELDS)
        if name in sent and getattr(body, name) is not None
    ]
    if wrong:
        raise Problem(
            400,
            "fields-of-other-kind",
            f"{', '.join(wrong)} belong to the other kind of adjustment, not to an {body.kind}.",
            field=wrong[0],
        )
    earlier = [a for a in await adjustments_of(session, case.id) if a.rule == rule.code]
    if body.kind == "extension":
        if not rule.adjustable.extension:
            raise Problem(400, "extension-not-allowed", f"The limit '{rule.code}' cannot be extended.", field="kind")
        missing = [name for name in EXTENSION_FIELDS if getattr(body, name) is None]
        if missing:
            raise Problem(
                400,
                "extension-incomplete",
                f"An extension needs {', '.join(missing)}: how many days, when and by whom it was approved.",
                field=missing[0],
            )
        assert body.days is not None  # an extension without its days was refused just above
        cap = rule.adjustable.extension_max_days
        granted = sum(a.days or 0 for a in earlier if a.kind == "extension")
        if cap is not None and granted + body.days > cap:
            raise Problem(
                409,
                "extension-over-cap",
                f"The limit '{rule.code}' may be extended by at most {cap} days in all ({granted} already approved).",
                field="days",
            )
    else:
        if body.reason is None or body.reason not in rule.adjustable.pauses:
            raise Problem(
                400,
                "unknown-pause-reason",
                f"A pause of '{rule.code}' needs a reason, one of: {', '.join(rule.adjustable.pauses)}.",
                field="reason",
            )
        if body.paused_from is None:
            raise Problem(400, "pause-needs-start", "A pause needs paused_from (the first day not counted).", field="paused_from")
        if body.paused_to is not None and body.paused_to < body.paused_from:
            raise Problem(400, "pause-backwards", "paused_to is before paused_from.", field="paused_to")
    if body.document_id is not None:
        owned = (await session.execute(select(Document.id).where(Document.id == body.document_id, Document.case_id == case.id))).scalar()
        if owned is None:
            raise Problem(404, "document-not-found", f"No document {body.document_id} in this case.", field="document_id")
    adjustment = LimitAdjustment(
        case_id=case.id,
        rule=rule.code,
        kind=body.kind,
        days=body.days,
        approved_on=body.approved_on,
        approved_by=body.approved_by.strip() if body.approved_by else None,
        reason=body.reason,
        paused_from=body.paused_from,
        paused_to=body.paused_to,
        text=body.text,
        document_id=body.document_id,
        created_by=principal.id,
        created_at=utcnow(),
    )
    session.add(adjustment)
    await session.flush()
    await record(session, principal, "case.limit_adjusted", agency=case.agency, case_id=case.id, payload=_payload(adjustment))
    await session.flush()
    return adjustment


async def end_pause(
    session: AsyncSession, principal: Principal, case: Case, adjustment_id: str, body: LimitAdjustmentEnd
) -> LimitAdjustment:
    adjustment = (
        await session.execute(select(LimitAdjustment).where(LimitAdjustment.id == adjustment_id, LimitAdjustment.case_id == case.id))
    ).scalar_one_or_none()
    if adjustment is None:
        raise Problem(404, "adjustment-not-found", f"No limit adjustment {adjustment_id} in this case.")
    if adjustment.kind != "pause" or adjustment.paused_to is not None:
        raise Problem(409, "pause-not-open", "Only a pause still open can be ended; recorded adjustments are not edited.")
    assert adjustment.paused_from is not None  # a pause is refused without its first day (add_adjustment)
    if not sane_date(body.paused_to) or body.paused_to < adjustment.paused_from:
        raise Problem(400, "pause-backwards", "paused_to is before paused_from.", field="paused_to")
    adjustment.paused_to = body.paused_to
    await session.flush()
    await record(
        session,
        principal,
        "case.limit_pause_ended",
        agency=case.agency,
        case_id=case.id,
        payload={"adjustment_id": adjustment.id, "rule": adjustment.rule, "paused_to": body.paused_to.isoformat()},
    )
    await session.flush()
    return adjustment


def _payload(adjustment: LimitAdjustment) -> dict[str, Any]:
    fields: dict[str, Any] = {"adjustment_id": adjustment.id, "rule": adjustment.rule, "kind": adjustment.kind, "text": adjustment.text}
    for name in (*EXTENSION_FIELDS, *PAUSE_FIELDS, "document_id"):
        value = getattr(adjustment, name)
        if value is not None:
            fields[name] = value.isoformat() if isinstance(value, date) else value
    return fields
