"""行政执法公示 pages: the staff's queue and review (redaction highlighted, approve, notice, publish,
annotate, withdraw) and the public list and item (no sign-in)."""

import asyncio
import re
import unicodedata
from datetime import date, datetime
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape
from pydantic import ValidationError

from ..agencies.service import get_agency, list_agencies
from ..cases.record import current_document, decision_documents
from ..cases.service import get_case
from ..catalog.service import CatalogDep
from ..core.db import DbSession, discard
from ..core.deps import SettingsDep
from ..core.messages import is_chinese, problem_zh, validation_zh
from ..core.pagination import keyset, page_of
from ..core.principals import Role
from ..core.problems import Problem
from ..core.public_side import ITEM, LIST, PUBLIC_CACHE, public_budget
from ..core.query import only
from ..core.times import today
from ..publication.exchange import export_file
from ..publication.models import Publication
from ..publication.schemas import (
    KIND_FIELDS,
    AnnotationCreate,
    NoticeCreate,
    PerformanceCreate,
    PublicationCreate,
    PublicationUpdate,
    PublicItem,
    RevocationCreate,
    WithdrawalCreate,
)
from ..publication.service import (
    PERFORMANCE_NAMES,
    agency_fields,
    annotate,
    approve,
    create_publication,
    exchange_rows,
    get_publication,
    overdue_condition,
    public_item,
    public_numbered_page,
    public_page,
    public_years,
    publications_of_documents,
    publish,
    record_notice,
    record_performance,
    record_revocation,
    staff_view,
    staff_views,
    update_publication,
    visible_publications,
    withdraw,
)
from .flash import redirect_with_flash
from .paging import MAX_PAGE, pager
from .render import page
from .session import FormPerson, Person, require_page_roles

router = APIRouter(include_in_schema=False)
Staff = Annotated[object, require_page_roles(Role.admin, Role.auditor)]
Publisher = Annotated[object, require_page_roles(Role.admin)]
Approver = Annotated[object, require_page_roles(Role.admin, Role.auditor)]

STATUS_NAMES = {
    "draft": "待审核",
    "approved": "已审核待发布",
    "published": "已公示",
    "annotated": "已公示（有变更说明）",
    "withdrawn": "已撤回",
    "expired": "公示期满",
    "not_publishable": "不予公示",
}
KIND_NAMES = {"penalty": "行政处罚", "license": "行政许可", "inspection": "行政检查"}
SEVERITY_NAMES = {"minor": "轻微", "ordinary": "一般", "serious": "严重"}
REDACTED_NAMES = {
    "id_number": "证件号码",
    "phone": "电话号码",
    "bank_account": "银行账号",
    "address": "住址",
    "name": "第三人姓名",
    "health": "健康信息",
    "email": "电子邮箱",
    "im_account": "微信/QQ 账号",
    "plate": "车牌号码",
    "insurance_number": "社保/医保卡号",
    "medical_record": "病历号/门诊号",
}
CONFIDENCE_NAMES = {"high": "高", "medium": "中", "low": "低"}
NOTICE_METHODS = {"in_decision": "决定书中告知", "in_person": "当面告知", "mail": "邮寄", "electronic": "电子送达", "phone": "电话告知"}
FIELD_NAMES = {
    "party_name": "行政相对人名称",
    "party_category": "相对人类别",
    "party_code": "统一社会信用代码",
    "legal_representative": "法定代表人",
    "doc_number": "决定书文号",
    "decided_on": "决定日期",
    "violation_type": "违法行为类型",
    "violation_facts": "主要违法事实",
    "basis": "处罚依据",
    "penalty_category": "处罚类别",
    "penalty_content": "处罚内容",
    "fine_wan": "罚款金额（万元）",
    "confiscated_wan": "没收违法所得（万元）",
    "license_affected": "暂扣或吊销证照",
    "doc_name": "许可决定文书名称",
    "license_category": "许可类别",
    "certificate_name": "许可证书名称",
    "certificate_number": "许可编号",
    "license_content": "许可内容",
    "valid_from": "有效期自",
    "valid_to": "有效期至",
    "inspection_matter": "检查事项",
    "inspection_result": "检查结果",
    "authority": "处罚（许可）机关",
    "authority_code": "机关统一社会信用代码",
    "data_source": "数据来源单位",
    "data_source_code": "数据来源单位代码",
    "note": "备注",
}
CATEGORY_NAMES = {"natural_person": "自然人", "legal_person": "法人及非法人组织", "individual_business": "个体工商户"}
CONTEXT = {
    "status_names": STATUS_NAMES,
    "kind_names": KIND_NAMES,
    "severity_names": SEVERITY_NAMES,
    "field_names": FIELD_NAMES,
    "category_names": CATEGORY_NAMES,
    "notice_methods": NOTICE_METHODS,
    "performance_names": PERFORMANCE_NAMES,
}
# How each field is typed in the edit form (the rest are one-line text).
LONG_FIELDS = {"violation_facts", "basis", "penalty_content", "license_content", "note", "inspection_result"}
PUBLIC_PAGE_SIZE = 20  # rows of the public list per page (`limit` asks for another number)
DATE_FIELDS = {"decided_on", "valid_from", "valid_to"}
AMOUNT_FIELDS = {"fine_wan", "confiscated_wan"}


def highlighted(text: str | None, spans: list[dict], field: str = "public_text") -> Markup:
    """A public value with what was removed and what needs a look marked (escaped; spans by position)."""
    if not text:
        return Markup("")
    out, at = [], 0
    for span in sorted((s for s in spans if s.get("field", "public_text") == field), key=lambda s: s["start"]):
        if span["start"] < at or span["end"] > len(text):
            continue
        out.append(escape(text[at : span["start"]]))
        label = f"{REDACTED_NAMES.get(span['kind'], span['kind'])} · 规则 {span['rule']} · 置信度 {CONFIDENCE_NAMES.get(span['confidence'], '')}"
        css = "removed" if span["removed"] else "flagged"
        out.append(Markup('<mark class="{}" title="{}">{}</mark>').format(css, label, text[span["start"] : span["end"]]))
        at = span["end"]
    out.append(escape(text[at:]))
    return Markup("").join(out)


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/publications")
async def queue(
    request: Request,
    catalog: CatalogDep,
    person: Person,
    _role: Staff,
    session: DbSession,
    settings: SettingsDep,
    status: Annotated[str, Query(pattern="^(|draft|approved|published|annotated|withdrawn|expired|not_publishable|overdue)$")] = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    day = today(settings.tz)
    query = visible_publications(person.principal)
    if status == "overdue":
        query = query.where(overdue_condition(day))
    elif status:
        query = query.where(Publication.status == status)
    rows = (await session.execute(keyset(query, [Publication.due_on, Publication.id], cursor, 50))).scalars().all()
    rows, next_cursor = page_of(list(rows), ["due_on", "id"], 50)
    overdue = len(
        (
            await session.execute(visible_publications(person.principal).with_only_columns(Publication.id).where(overdue_condition(day)))
        ).all()
    )
    awaiting = []
    if not cursor and status in ("", "draft"):
        rules = catalog.publication.decision_documents
        decisions = await decision_documents(session, person.principal, [t for kind in ("penalty", "license") for t in rules[kind]])
        published = await publications_of_documents(session, person.principal, [d["document_id"] for d in decisions])
        awaiting = [d for d in decisions if d["document_id"] not in published]
    return page(
        request,
        "publications.html",
        {
            **CONTEXT,
            "items": [out.model_dump() for out in await staff_views(session, list(rows), settings.tz)],
            "status": status,
            "next_cursor": next_cursor,
            "overdue_count": overdue,
            "today": day,
            "awaiting": awaiting,
            "may_draft": person.principal.role is Role.admin,
            "tz": settings.tz,
            "document_types": {d.code: d.name_zh for d in catalog.document_types},
        },
        person=person,
    )


def _kind_of(catalog, doc_type: str) -> str | None:
    return next((kind for kind, types in catalog.publication.decision_documents.items() if doc_type in types), None)


@router.get("/publications/new")
async def new_publication(
    request: Request,
    catalog: CatalogDep,
    person: Person,
    _role: Publisher,
    session: DbSession,
    settings: SettingsDep,
    case_id: Annotated[str, Query(max_length=64)],
    document_id: Annotated[str, Query(max_length=64)],
) -> Response:
    case = await get_case(session, person.principal, case_id)
    document, version = await current_document(session, case, document_id)
    existing = (await publications_of_documents(session, person.principal, [document.id])).get(document.id)
    if existing is not None:
        return _see(f"/publications/{existing.id}")
    return page(
        request,
        "publication_new.html",
        {
            **CONTEXT,
            "case": case,
            "document": document,
            "version": version,
            "kind": _kind_of(catalog, document.doc_type),
            "doc_type_name": next((d.name_zh for d in catalog.document_types if d.code == document.doc_type), document.doc_type),
            "periods": catalog.publication.periods,
            "tz": settings.tz,
            "signers": "、".join(version.signers or []),
        },
        person=person,
    )


@router.post("/publications/new")
async def new_publication_submit(
    request: Request,
    catalog: CatalogDep,
    person: FormPerson,
    _role: Publisher,
    session: DbSession,
    settings: SettingsDep,
    case_id: Annotated[str, Form(max_length=64)],
    document_id: Annotated[str, Form(max_length=64)],
    kind: Annotated[str, Form(max_length=20)] = "",
    severity: Annotated[str, Form(max_length=20)] = "",
    period_months: Annotated[str, Form(max_length=4)] = "",
    other_names: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    back = f"/publications/new?case_id={quote(case_id)}&document_id={quote(document_id)}"
    try:
        body = PublicationCreate(
            case_id=case_id,
            document_id=document_id,
            kind=kind,
            severity=severity,
            period_months=_number(period_months.strip(), "公示期限"),
            other_names=[n for n in re.split(r"[、,，;；\s]+", other_names) if n],
        )
        publication = await create_publication(session, catalog, person.principal, body, settings.tz)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError too
        await discard(session)
        return redirect_with_flash(request, person, back, error=_message(exc)[:280])
    except Problem as exc:
        if exc.status in (401, 403):
            raise
        await discard(session)
        if exc.code == "already-published":
            return _see(f"/publications/{exc.extra['publication_id']}")
        return redirect_with_flash(request, person, back, error=_message(exc)[:280])
    return _see(f"/publications/{publication.id}/edit")


def _number(text: str, label: str) -> float | int | None:
    """A number typed in a form (全角 digits folded); anything else is refused with the field's name, never guessed."""
    if not text:
        return None
    try:
        value = float(unicodedata.normalize("NFKC", text).replace(",", ""))
    except ValueError:
        raise Problem(422, "invalid-field", f"{label}须填写数字。") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise Problem(422, "invalid-field", f"{label}须填写数字。")
    return int(value) if value.is_integer() else value


def _message(exc: Exception) -> str:
    """A refused form's reason in Chinese, the field named by its label (the message catalogue)."""
    if isinstance(exc, ValidationError):
        return validation_zh(exc, "publication")
    if isinstance(exc, Problem):
        return problem_zh(exc)
    return str(exc) if is_chinese(str(exc)) else "数字格式不正确" if "invalid literal" in str(exc) else "填写的内容有误。"


@router.get("/publications/export")
async def export_page(
    request: Request,
    person: Person,
    _role: Staff,
    session: DbSession,
    kind: Annotated[str, Query(pattern="^(penalty|license)$")] = "penalty",
) -> Response:
    """The 双公示 export as a publisher checks it: how many records are valid, and what each invalid one lacks."""
    rows = await exchange_rows(session, person.principal, kind)
    invalid = [
        {"id": p.id, "doc_number": p.fields.get("doc_number"), "party_name": p.fields.get("party_name"), "problems": found}
        for p, _, found in rows
        if found
    ]
    return page(
        request,
        "publication_export.html",
        {**CONTEXT, "kind": kind, "total": len(rows), "invalid": invalid, "valid": len(rows) - len(invalid)},
        person=person,
    )


@router.get("/publications/export/{kind}.{file_format}")
async def export_download(
    request: Request,
    person: Person,
    _role: Staff,
    session: DbSession,
    settings: SettingsDep,
    kind: Annotated[str, Path(pattern="^(penalty|license)$")],
    file_format: Annotated[str, Path(pattern="^(csv|xlsx)$")],
    include_invalid: bool = False,
) -> Response:
    rows = await exchange_rows(session, person.principal, kind)
    body, media_type, headers = await asyncio.to_thread(export_file, kind, rows, file_format, include_invalid, today(settings.tz))
    return Response(body, media_type=media_type, headers={**headers, "Cache-Control": "no-store"})


@router.get("/publications/{publication_id}/edit")
async def edit_publication(
    publication_id: str, request: Request, catalog: CatalogDep, person: Person, _role: Publisher, session: DbSession, settings: SettingsDep
) -> Response:
    publication = await get_publication(session, person.principal, publication_id)
    out = (await staff_view(session, publication, settings.tz)).model_dump()
    if out["status"] not in ("draft", "published", "annotated"):
        return redirect_with_flash(request, person, f"/publications/{publication_id}", error="只有待审核的草稿和已公示的信息可以修改。")
    defaults = agency_fields(await get_agency(session, publication.agency))  # a profile registered after the draft was made
    problems: dict[str, list[str]] = {}
    for problem in out["problems"]:
        problems.setdefault(problem["field"] or "", []).append(problem["message"])
    fields = [
        {
            "name": name,
            "label": FIELD_NAMES.get(name, name),
            "value": out["fields"].get(name) or defaults.get(name),
            "input": "date"
            if name in DATE_FIELDS
            else "amount"
            if name in AMOUNT_FIELDS
            else "category"
            if name == "party_category"
            else "long"
            if name in LONG_FIELDS
            else "text",
            "marked": highlighted(out["fields"].get(name), out["redaction"], name) if isinstance(out["fields"].get(name), str) else None,
            "problems": problems.get(name, []),
        }
        for name in KIND_FIELDS[publication.kind]
    ]
    return page(
        request,
        "publication_edit.html",
        {
            **CONTEXT,
            "p": out,
            "fields": fields,
            "general_problems": problems.get("", []) + problems.get("id_number", []),
            "text": highlighted(out["public_text"], out["redaction"]),
            "correcting": out["status"] in ("published", "annotated"),
            "periods": catalog.publication.periods,
            "today": today(settings.tz),
        },
        person=person,
    )


@router.post("/publications/{publication_id}/edit")
async def edit_publication_submit(
    publication_id: str,
    request: Request,
    catalog: CatalogDep,
    person: FormPerson,
    _role: Publisher,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    publication = await get_publication(session, person.principal, publication_id)
    form = await request.form()
    back = f"/publications/{publication_id}/edit"
    try:
        fields = {}
        for name in KIND_FIELDS[publication.kind]:
            sent = form.get(f"field.{name}")
            if not isinstance(sent, str):
                continue
            sent = sent.strip()
            value = _number(sent, FIELD_NAMES.get(name, name)) if name in AMOUNT_FIELDS else (sent or None)
            if value != publication.fields.get(name):
                fields[name] = value
        text = form.get("public_text")
        text = text.replace("\r\n", "\n") if isinstance(text, str) else None
        body = {"fields": fields or None, "note": (form.get("note") or "").strip() or None}
        if text is not None and text != (publication.public_text or ""):
            body["public_text"] = text
        if publication.status == "draft":
            severity, months = form.get("severity"), (form.get("period_months") or "").strip()
            if severity and severity != publication.severity:
                body["severity"] = severity
            if months and _number(months, "公示期限") != publication.period_months:
                body["period_months"] = _number(months, "公示期限")
        elif (form.get("changed_on") or "").strip():
            body["changed_on"] = form.get("changed_on").strip()
        update = PublicationUpdate(**{k: v for k, v in body.items() if v is not None})
        await update_publication(session, catalog, person.principal, publication, update, settings.tz)
    except ValueError as exc:
        await discard(session)
        return redirect_with_flash(request, person, back, error=_message(exc)[:280])
    except Problem as exc:
        if exc.status in (401, 403, 404):
            raise
        await discard(session)
        return redirect_with_flash(request, person, back, error=_message(exc)[:280])
    return redirect_with_flash(request, person, back, saved=1)


@router.get("/publications/{publication_id}/preview")
async def preview_publication(
    publication_id: str, request: Request, person: Person, _role: Staff, session: DbSession, settings: SettingsDep
) -> Response:
    """Exactly what the public page will show, before it is published."""
    publication = await get_publication(session, person.principal, publication_id)
    return page(
        request,
        "public_publication.html",
        {**CONTEXT, "p": PublicItem.of(publication, settings.tz).model_dump(), "preview": True},
        person=person,
    )


@router.get("/publications/{publication_id}")
async def review(
    publication_id: str, request: Request, person: Person, _role: Staff, session: DbSession, settings: SettingsDep
) -> Response:
    publication = await get_publication(session, person.principal, publication_id)
    out = (await staff_view(session, publication, settings.tz)).model_dump()
    role = person.principal.role
    return page(
        request,
        "publication.html",
        {
            **CONTEXT,
            "p": out,
            "text": highlighted(out["public_text"], out["redaction"]),
            "redacted_names": REDACTED_NAMES,
            "confidence_names": CONFIDENCE_NAMES,
            "may_publish": role is Role.admin,
            "may_approve": role in (Role.admin, Role.auditor),
            "edited_by_me": person.principal.id in out["editors"],
            "marked": {name: highlighted(value, out["redaction"], name) for name, value in out["fields"].items() if isinstance(value, str)},
            "now": datetime.now(settings.tz).strftime("%Y-%m-%dT%H:%M"),
            "today": today(settings.tz),
        },
        person=person,
    )


def _form_error(request: Request, person, publication_id: str, exc: Exception) -> RedirectResponse:
    message = _message(exc)
    return redirect_with_flash(request, person, f"/publications/{publication_id}", error=message[:280])


async def _step(request: Request, publication_id: str, person, session, work) -> Response:
    publication = await get_publication(session, person.principal, publication_id)
    try:
        await work(publication)
    except (Problem, ValidationError) as exc:
        if isinstance(exc, Problem) and exc.status in (401, 403, 404):
            raise
        await discard(session)
        return _form_error(request, person, publication_id, exc)
    return _see(f"/publications/{publication_id}")


@router.post("/publications/{publication_id}/approve")
async def page_approve(request: Request, publication_id: str, person: FormPerson, _role: Approver, session: DbSession) -> Response:
    return await _step(request, publication_id, person, session, lambda p: approve(session, person.principal, p))


@router.post("/publications/{publication_id}/notice")
async def page_notice(
    request: Request,
    publication_id: str,
    person: FormPerson,
    _role: Publisher,
    session: DbSession,
    settings: SettingsDep,
    method: Annotated[str, Form(max_length=20)] = "",
    notified_at: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    async def work(publication):
        when = datetime.fromisoformat(notified_at).replace(tzinfo=settings.tz) if notified_at else None
        await record_notice(session, person.principal, publication, NoticeCreate(method=method, notified_at=when), settings.tz)

    try:
        return await _step(request, publication_id, person, session, work)
    except ValueError:
        return redirect_with_flash(request, person, f"/publications/{publication_id}", error="告知时间格式不正确")


@router.post("/publications/{publication_id}/publish")
async def page_publish(
    request: Request, publication_id: str, person: FormPerson, _role: Publisher, session: DbSession, settings: SettingsDep
) -> Response:
    return await _step(request, publication_id, person, session, lambda p: publish(session, person.principal, p, settings.tz))


@router.post("/publications/{publication_id}/performance")
async def page_performance(
    request: Request,
    publication_id: str,
    person: FormPerson,
    _role: Publisher,
    session: DbSession,
    settings: SettingsDep,
    status: Annotated[str, Form(max_length=20)] = "",
    on: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    async def work(publication):
        body = PerformanceCreate(status=status, on=on, note=note.strip() or None)
        await record_performance(session, person.principal, publication, body, settings.tz)

    return await _step(request, publication_id, person, session, work)


@router.post("/publications/{publication_id}/annotate")
async def page_annotate(
    request: Request,
    publication_id: str,
    person: FormPerson,
    _role: Publisher,
    session: DbSession,
    settings: SettingsDep,
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    return await _step(
        request,
        publication_id,
        person,
        session,
        lambda p: annotate(session, person.principal, p, AnnotationCreate(note=note.strip()), settings.tz),
    )


@router.post("/publications/{publication_id}/revocation")
async def page_revocation(
    request: Request,
    catalog: CatalogDep,
    publication_id: str,
    person: FormPerson,
    _role: Publisher,
    session: DbSession,
    settings: SettingsDep,
    revoked_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:

    async def work(publication):
        await record_revocation(
            session, catalog, person.principal, publication, RevocationCreate(revoked_on=date.fromisoformat(revoked_on)), settings.tz
        )

    try:
        return await _step(request, publication_id, person, session, work)
    except ValueError:
        return redirect_with_flash(request, person, f"/publications/{publication_id}", error="撤销日期格式不正确")


@router.post("/publications/{publication_id}/withdraw")
async def page_withdraw(
    request: Request,
    catalog: CatalogDep,
    publication_id: str,
    person: FormPerson,
    _role: Publisher,
    session: DbSession,
    settings: SettingsDep,
    reason: Annotated[str, Form(max_length=4000)] = "",
    revoked_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:

    async def work(publication):
        body = WithdrawalCreate(reason=reason.strip(), revoked_on=date.fromisoformat(revoked_on) if revoked_on else None)
        await withdraw(session, catalog, person.principal, publication, body, settings.tz)

    try:
        return await _step(request, publication_id, person, session, work)
    except ValueError:
        return redirect_with_flash(request, person, f"/publications/{publication_id}", error="撤销日期格式不正确")


@router.get("/public/publications", dependencies=[public_budget(LIST), only("q", "kind", "agency", "year", "cursor", "page", "limit")])
async def public_list_page(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=100)] = "",
    kind: Annotated[str, Query(pattern="^(|penalty|license|inspection)$")] = "",
    agency: Annotated[str, Query(max_length=64)] = "",
    year: Annotated[str, Query(pattern="^(|19[7-9][0-9]|2[01][0-9][0-9])$")] = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
) -> Response:
    size = limit or PUBLIC_PAGE_SIZE
    filters = {"q": q, "kind": kind or None, "agency": agency or None, "year": int(year) if year else None}
    if cursor:  # a link from before the pages were numbered: the page after the cursor, as it was
        items, next_cursor = await public_page(session, settings.tz, cursor=cursor, limit=size, **filters)
        shown = {"total": None, "previous": request.url.path + "?" + urlencode(_without(request, "cursor", "page")), "numbers": []}
        shown["next"] = (
            request.url.path + "?" + urlencode([*_without(request, "cursor", "page"), ("cursor", next_cursor)]) if next_cursor else None
        )
    else:
        items, total = await public_numbered_page(session, settings.tz, offset=(page_number - 1) * size, limit=size, **filters)
        shown = pager(request, total, page_number, size)
    agencies = await list_agencies(session)
    response = page(
        request,
        "public_publications.html",
        {
            **CONTEXT,
            "items": items,
            "q": q,
            "kind": kind,
            "agency": agency,
            "year": year,
            "years": await public_years(session, settings.tz),
            "agencies": agencies,
            "pager": shown,
            "searching": bool(q or kind or agency or year),
            "agency_names": {a.code: a.name_zh for a in agencies},
        },
    )
    response.headers.update(PUBLIC_CACHE)
    return response


def _without(request: Request, *names: str) -> list[tuple[str, str]]:
    return [(key, value) for key, value in request.query_params.multi_items() if key not in names]


@router.get("/public/publications/{publication_id}", dependencies=[public_budget(ITEM), only()])
async def public_item_page(publication_id: str, request: Request, session: DbSession, settings: SettingsDep) -> Response:
    item = await public_item(session, settings.tz, publication_id)
    if item is None:
        raise Problem(404, "publication-not-found", "没有这条公示信息，或已过公示期。")
    response = page(request, "public_publication.html", {**CONTEXT, "p": item})
    response.headers.update(PUBLIC_CACHE)
    return response
