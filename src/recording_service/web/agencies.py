"""The agency profile pages for administrators: the profiles they see, and one profile with its versions and
the form that keeps it (errors beside the fields, in Chinese; what was typed stays in the form)."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from ..agencies.schemas import FIELD_NAMES_ZH, FIELDS
from ..agencies.service import (
    AgencyRefused,
    agency_codes_under,
    get_agency,
    list_agencies,
    may_edit,
    sees_agency,
    sees_every_agency,
    set_agency,
    versions_of,
)
from ..core.db import DbSession, discard
from ..core.deps import SettingsDep
from ..core.principals import ALL_AGENCIES, Role
from ..core.problems import Problem
from .flash import redirect_with_flash
from .render import page
from .session import FormPerson, Person, require_page_roles

router = APIRouter(include_in_schema=False)
Keeper = Annotated[object, require_page_roles(Role.admin)]
Text = Annotated[str, Form(max_length=1000)]
ERROR_TEXT = {
    "uscc_length": "统一社会信用代码应为 18 位",
    "uscc_checksum": "统一社会信用代码的校验位不正确，请核对",
    "uscc_format": "统一社会信用代码格式不正确：前 8 位为数字，其余为数字或大写字母（不含 I、O、S、V、Z）",
    "division_format": "行政区划代码应为 6 位数字",
    "division_province": "行政区划代码的前两位应为省级代码（11—82）",
    "unknown_parent": "没有这个上级单位，请先登记上级单位",
    "agency_cycle": "上级单位不能是本单位，也不能是本单位的下级单位",
    "agency_code": "单位代码只能由字母、数字和 _ . - 组成，最多 64 位",
    "missing": "必填",
    "string_too_short": "必填",
    "string_too_long": "过长",
    "string_pattern_mismatch": "格式不对：只能由字母、数字和 _ . - 组成",
}


def field_errors(refused: AgencyRefused) -> dict[str, str]:
    """Each field's first problem in Chinese."""
    errors: dict[str, str] = {}
    for error in refused.errors:
        errors.setdefault(error["field"] or "", ERROR_TEXT.get(error["type"], "内容有误"))
    return errors


@router.get("/agencies")
async def agencies_page(
    request: Request,
    person: Person,
    _role: Keeper,
    session: DbSession,
    settings: SettingsDep,
    code_to_open: Annotated[str, Query(alias="open", max_length=64)] = "",
) -> Response:
    principal = person.principal
    if code_to_open.strip():  # the form that opens (or starts) a profile by its code
        return RedirectResponse(f"/agencies/{quote(code_to_open.strip(), safe='')}", status_code=303)
    profiles = await list_agencies(session)
    names = {p.code: p.name_zh for p in profiles}  # a parent above the caller is named too: profiles are public
    if not sees_every_agency(principal):
        visible = set(await agency_codes_under(session, principal.agency))
        profiles = [p for p in profiles if p.code in visible]
    return page(
        request,
        "agencies.html",
        {
            "profiles": profiles,
            "names": names,
            "tz": settings.tz,
            "all_agencies": sees_every_agency(principal),
            "own_missing": not sees_every_agency(principal) and principal.agency not in names,
        },
        person=person,
    )


async def _profile_page(
    request: Request,
    person,
    session,
    settings,
    code: str,
    *,
    form: dict | None = None,
    errors: dict | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    principal = person.principal
    profile = await get_agency(session, code)
    editable = may_edit(principal, code) and code != "*"
    if (profile is None and not editable) or (profile is not None and not await sees_agency(session, principal, code)):
        raise Problem(404, "agency-not-found", "没有这个单位的信息（或它不属于您的单位）。")
    if form is None:
        form = {name: (getattr(profile, name) or "") if profile else "" for name in FIELDS}
    others = [p for p in await list_agencies(session) if p.code != code]
    return page(
        request,
        "agency.html",
        {
            "code": code,
            "profile": profile,
            "versions": await versions_of(session, code) if profile else [],
            "form": form,
            "errors": errors or {},
            "notice": notice,
            "editable": editable,
            "labels": FIELD_NAMES_ZH,
            "others": others,
            "tz": settings.tz,
            "places_agencies": principal.agency == ALL_AGENCIES,
            "parent_name": next((p.name_zh for p in others if profile and p.code == profile.parent), None),
        },
        status_code=status_code,
        person=person,
    )


@router.get("/agencies/{code}")
async def agency_page(code: str, request: Request, person: Person, _role: Keeper, session: DbSession, settings: SettingsDep) -> Response:
    return await _profile_page(request, person, session, settings, code)  # a saved profile's notice comes as a flash


@router.post("/agencies/{code}")
async def save_agency(
    code: str,
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    settings: SettingsDep,
    name_zh: Text = "",
    uscc: Text = "",
    division_code: Text = "",
    parent: Text = "",
    address: Text = "",
    phone: Text = "",
    office_hours: Text = "",
    review_body: Text = "",
    court: Text = "",
) -> Response:
    principal = person.principal
    if not may_edit(principal, code):
        if await sees_agency(session, principal, code):
            raise Problem(403, "agency-not-yours", "只有本单位或全部单位的管理员可以修改单位信息。")
        raise Problem(404, "agency-not-found", "没有这个单位的信息（或它不属于您的单位）。")
    form = {
        "name_zh": name_zh,
        "uscc": uscc,
        "division_code": division_code,
        "parent": parent,
        "address": address,
        "phone": phone,
        "office_hours": office_hours,
        "review_body": review_body,
        "court": court,
    }
    before = await get_agency(session, code)
    version = before.version if before else 0
    if principal.agency != ALL_AGENCIES:  # where an agency sits is the operator's choice (the form shows it read-only)
        form["parent"] = (before.parent or "") if before else ""
    try:
        profile = await set_agency(session, principal, code, form)
    except AgencyRefused as refused:
        await discard(session)
        return await _profile_page(request, person, session, settings, code, form=form, errors=field_errors(refused), status_code=422)
    notice = f"已保存（第 {profile.version} 版）" if profile.version != version else "内容未变，未生成新版本"
    return redirect_with_flash(request, person, f"/agencies/{quote(code, safe='')}", notice=notice)
