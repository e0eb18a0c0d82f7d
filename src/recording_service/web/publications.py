"""行政执法公示 pages: the staff's queue and review (redaction highlighted, approve, notice, publish,
annotate, withdraw) and the public list and item (no sign-in)."""

from datetime import date, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape
from pydantic import ValidationError

from ..auth.service import Role
from ..db import DbSession
from ..deps import SettingsDep
from ..pagination import keyset, page_of
from ..problems import Problem
from ..publication.models import Publication
from ..publication.public import PUBLIC_CACHE, public_limit
from ..publication.schemas import AnnotationCreate, NoticeCreate, RevocationCreate, WithdrawalCreate
from ..publication.service import (
    annotate,
    approve,
    get_publication,
    overdue_condition,
    public_item,
    public_page,
    publication_out,
    publish,
    record_notice,
    record_revocation,
    visible_publications,
    withdraw,
)
from ..times import today
from .render import page
from .session import FormPerson, Person, require_page_roles

router = APIRouter(include_in_schema=False)
Staff = Annotated[object, require_page_roles(Role.admin, Role.auditor)]
Publisher = Annotated[object, require_page_roles(Role.admin)]
Approver = Annotated[object, require_page_roles(Role.admin, Role.auditor)]

STATUS_NAMES = {"draft": "待审核", "approved": "已审核待发布", "published": "已公示", "annotated": "已公示（有变更说明）",
                "withdrawn": "已撤回", "expired": "公示期满", "not_publishable": "不予公示"}
KIND_NAMES = {"penalty": "行政处罚", "license": "行政许可", "inspection": "行政检查"}
SEVERITY_NAMES = {"minor": "轻微", "ordinary": "一般", "serious": "严重"}
REDACTED_NAMES = {"id_number": "证件号码", "phone": "电话号码", "bank_account": "银行账号", "address": "住址", "name": "第三人姓名",
                  "health": "健康信息（待人工确认）"}
CONFIDENCE_NAMES = {"high": "高", "medium": "中", "low": "低"}
NOTICE_METHODS = {"in_decision": "决定书中告知", "in_person": "当面告知", "mail": "邮寄", "electronic": "电子送达", "phone": "电话告知"}
FIELD_NAMES = {
    "party_name": "行政相对人名称", "party_category": "相对人类别", "party_code": "统一社会信用代码", "legal_representative": "法定代表人",
    "doc_number": "决定书文号", "decided_on": "决定日期", "violation_type": "违法行为类型", "violation_facts": "主要违法事实",
    "basis": "处罚依据", "penalty_category": "处罚类别", "penalty_content": "处罚内容", "fine_wan": "罚款金额（万元）",
    "confiscated_wan": "没收违法所得（万元）", "license_affected": "暂扣或吊销证照", "doc_name": "许可决定文书名称",
    "license_category": "许可类别", "certificate_name": "许可证书名称", "certificate_number": "许可编号", "license_content": "许可内容",
    "valid_from": "有效期自", "valid_to": "有效期至", "inspection_matter": "检查事项", "inspection_result": "检查结果",
    "authority": "处罚（许可）机关", "authority_code": "机关统一社会信用代码", "data_source": "数据来源单位",
    "data_source_code": "数据来源单位代码", "note": "备注",
}
CATEGORY_NAMES = {"natural_person": "自然人", "legal_person": "法人及非法人组织", "individual_business": "个体工商户"}
CONTEXT = {"status_names": STATUS_NAMES, "kind_names": KIND_NAMES, "severity_names": SEVERITY_NAMES, "field_names": FIELD_NAMES,
           "category_names": CATEGORY_NAMES, "notice_methods": NOTICE_METHODS}


def highlighted(text: str | None, spans: list[dict]) -> Markup:
    """The public text with what was removed and what needs a look marked (escaped; spans by position)."""
    if not text:
        return Markup("")
    out, at = [], 0
    for span in sorted(spans, key=lambda s: s["start"]):
        if span["start"] < at or span["end"] > len(text):
            continue
        out.append(escape(text[at:span["start"]]))
        label = f"{REDACTED_NAMES.get(span['kind'], span['kind'])} · 规则 {span['rule']} · 置信度 {CONFIDENCE_NAMES.get(span['confidence'], '')}"
        css = "removed" if span["removed"] else "flagged"
        out.append(Markup('<mark class="{}" title="{}">{}</mark>').format(css, label, text[span["start"]:span["end"]]))
        at = span["end"]
    out.append(escape(text[at:]))
    return Markup("").join(out)


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/publications")
async def queue(request: Request, person: Person, _role: Staff, session: DbSession, settings: SettingsDep,
                status: Annotated[str, Query(pattern="^(|draft|approved|published|annotated|withdrawn|expired|not_publishable|overdue)$")] = "",
                cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    day = today(settings.tz)
    query = visible_publications(person.principal)
    if status == "overdue":
        query = query.where(overdue_condition(day))
    elif status:
        query = query.where(Publication.status == status)
    rows = (await session.execute(keyset(query, [Publication.due_on, Publication.id], cursor, 50))).scalars().all()
    rows, next_cursor = page_of(list(rows), ["due_on", "id"], 50)
    overdue = len((await session.execute(visible_publications(person.principal).with_only_columns(Publication.id).where(
        overdue_condition(day)))).all())
    return page(request, "publications.html", {**CONTEXT, "items": [publication_out(p, settings.tz, day) for p in rows],
                                               "status": status, "next_cursor": next_cursor, "overdue_count": overdue,
                                               "today": day}, person=person)


@router.get("/publications/{publication_id}")
async def review(publication_id: str, request: Request, person: Person, _role: Staff, session: DbSession, settings: SettingsDep,
                 error: Annotated[str | None, Query(max_length=300)] = None) -> Response:
    publication = await get_publication(session, person.principal, publication_id)
    out = publication_out(publication, settings.tz, today(settings.tz))
    role = person.principal.role
    return page(request, "publication.html", {
        **CONTEXT, "p": out, "text": highlighted(out["public_text"], out["redaction"]), "redacted_names": REDACTED_NAMES,
        "confidence_names": CONFIDENCE_NAMES, "may_publish": role is Role.admin, "may_approve": role in (Role.admin, Role.auditor),
        "error": error, "now": datetime.now(settings.tz).strftime("%Y-%m-%dT%H:%M"),
    }, person=person)


def _form_error(publication_id: str, exc: Exception) -> RedirectResponse:
    message = exc.detail if isinstance(exc, Problem) else "; ".join(e["msg"] for e in exc.errors())
    return _see(f"/publications/{publication_id}?error={quote(message[:280])}")


async def _step(publication_id: str, person, session, work) -> Response:
    publication = await get_publication(session, person.principal, publication_id)
    try:
        await work(publication)
    except (Problem, ValidationError) as exc:
        if isinstance(exc, Problem) and exc.status in (401, 403, 404):
            raise
        await session.rollback()
        return _form_error(publication_id, exc)
    await session.commit()
    return _see(f"/publications/{publication_id}")


@router.post("/publications/{publication_id}/approve")
async def page_approve(publication_id: str, person: FormPerson, _role: Approver, session: DbSession) -> Response:
    return await _step(publication_id, person, session, lambda p: approve(session, person.principal, p))


@router.post("/publications/{publication_id}/notice")
async def page_notice(publication_id: str, person: FormPerson, _role: Publisher, session: DbSession, settings: SettingsDep,
                      method: Annotated[str, Form(max_length=20)] = "", notified_at: Annotated[str, Form(max_length=20)] = "") -> Response:
    async def work(publication):
        when = datetime.fromisoformat(notified_at).replace(tzinfo=settings.tz) if notified_at else None
        await record_notice(session, person.principal, publication, NoticeCreate(method=method, notified_at=when), settings.tz)

    try:
        return await _step(publication_id, person, session, work)
    except ValueError:
        return _see(f"/publications/{publication_id}?error=告知时间格式不正确")


@router.post("/publications/{publication_id}/publish")
async def page_publish(publication_id: str, person: FormPerson, _role: Publisher, session: DbSession, settings: SettingsDep) -> Response:
    return await _step(publication_id, person, session, lambda p: publish(session, person.principal, p, settings.tz))


@router.post("/publications/{publication_id}/annotate")
async def page_annotate(publication_id: str, person: FormPerson, _role: Publisher, session: DbSession, settings: SettingsDep,
                        note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    return await _step(publication_id, person, session,
                       lambda p: annotate(session, person.principal, p, AnnotationCreate(note=note.strip()), settings.tz))


@router.post("/publications/{publication_id}/revocation")
async def page_revocation(request: Request, publication_id: str, person: FormPerson, _role: Publisher, session: DbSession,
                          revoked_on: Annotated[str, Form(max_length=10)] = "") -> Response:
    catalog = request.app.state.catalog

    async def work(publication):
        await record_revocation(session, catalog, person.principal, publication, RevocationCreate(revoked_on=date.fromisoformat(revoked_on)))

    try:
        return await _step(publication_id, person, session, work)
    except ValueError:
        return _see(f"/publications/{publication_id}?error=撤销日期格式不正确")


@router.post("/publications/{publication_id}/withdraw")
async def page_withdraw(request: Request, publication_id: str, person: FormPerson, _role: Publisher, session: DbSession,
                        settings: SettingsDep,
                        reason: Annotated[str, Form(max_length=4000)] = "", revoked_on: Annotated[str, Form(max_length=10)] = "") -> Response:
    catalog = request.app.state.catalog

    async def work(publication):
        body = WithdrawalCreate(reason=reason.strip(), revoked_on=date.fromisoformat(revoked_on) if revoked_on else None)
        await withdraw(session, catalog, person.principal, publication, body, settings.tz)

    try:
        return await _step(publication_id, person, session, work)
    except ValueError:
        return _see(f"/publications/{publication_id}?error=撤销日期格式不正确")




@router.get("/public/publications")
async def public_list_page(request: Request, session: DbSession, settings: SettingsDep,
                           q: Annotated[str, Query(max_length=100)] = "",
                           kind: Annotated[str, Query(pattern="^(|penalty|license|inspection)$")] = "",
                           cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    public_limit(request)
    items, next_cursor = await public_page(session, settings.tz, q=q, kind=kind, agency=None, cursor=cursor, limit=30)
    response = page(request, "public_publications.html", {**CONTEXT, "items": items, "q": q, "kind": kind, "next_cursor": next_cursor})
    response.headers.update(PUBLIC_CACHE)
    return response


@router.get("/public/publications/{publication_id}")
async def public_item_page(publication_id: str, request: Request, session: DbSession, settings: SettingsDep) -> Response:
    public_limit(request)
    item = await public_item(session, settings.tz, publication_id)
    if item is None:
        raise Problem(404, "publication-not-found", "没有这条公示信息，或已过公示期。")
    response = page(request, "public_publication.html", {**CONTEXT, "p": item})
    response.headers.update(PUBLIC_CACHE)
    return response
