"""Agency profiles: read by every package that names an agency, kept by its administrators (and the operator's CLI).
Every change is a new version and an audit event in the caller's transaction."""

import re
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import Actor, record
from ..core.db import utcnow
from ..core.principals import ALL_AGENCIES, Principal, Role
from ..core.problems import Problem
from .models import AgencyProfile, AgencyProfileVersion
from .schemas import AGENCY_CODE, FIELDS, AgencyFields


async def get_agency(session: AsyncSession, code: str) -> AgencyProfile | None:
    if not code or code == ALL_AGENCIES:
        return None
    return await session.get(AgencyProfile, code)


async def list_agencies(session: AsyncSession) -> list[AgencyProfile]:
    return list((await session.execute(select(AgencyProfile).order_by(AgencyProfile.code))).scalars())


async def _parents(session: AsyncSession) -> dict[str, str | None]:
    # Every agency's parent in one statement: a province holds hundreds of agencies, not millions.
    return dict((await session.execute(select(AgencyProfile.code, AgencyProfile.parent))).all())


async def agency_codes_under(session: AsyncSession, code: str) -> list[str]:
    """`code` and every agency below it (its counties, their offices …), `code` first, the rest sorted.
    `*` is not an agency here: callers that let `*` see everything check ALL_AGENCIES themselves."""
    children: dict[str, list[str]] = {}
    for child, parent in (await _parents(session)).items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    found, waiting = set(), [code]
    while waiting:  # a cycle cannot be stored (set_agency refuses it), but a visited set costs nothing
        for child in children.get(waiting.pop(), []):
            if child not in found and child != code:
                found.add(child)
                waiting.append(child)
    return [code, *sorted(found)]


def sees_every_agency(principal: Principal) -> bool:
    return principal.role is Role.admin and principal.agency == ALL_AGENCIES


async def sees_agency(session: AsyncSession, principal: Principal, code: str) -> bool:
    """Whether the principal may read the profile: its own agency and those under it (all, for admins of `*`)."""
    return sees_every_agency(principal) or code in await agency_codes_under(session, principal.agency)


def may_edit(principal: Principal, code: str) -> bool:
    """An administrator of the agency itself, or of `*`."""
    return principal.role is Role.admin and principal.agency in (code, ALL_AGENCIES)


def _state(profile: AgencyProfile) -> dict[str, Any]:
    return {name: getattr(profile, name) for name in FIELDS}


class AgencyRefused(Problem):
    """A profile that cannot be stored; `errors` name the field, the error's type and an English message."""

    def __init__(self, code: str, detail: str, errors: list[dict[str, str | None]]) -> None:
        super().__init__(422, code, detail, errors=errors)
        self.errors = errors


async def set_agency(session: AsyncSession, principal: Principal | Actor, code: str, fields: dict[str, Any]) -> AgencyProfile:
    """Create or update the profile of `code`: fields left out of `fields` keep their value (none, for a new
    profile); a change makes a new version and an `agency.created` / `agency.updated` audit event with the
    changed fields. The parent must exist and no agency may end up under itself. Who may do it is the caller's
    check (may_edit); the caller commits."""
    if code == ALL_AGENCIES or not re.fullmatch(AGENCY_CODE, code):
        raise AgencyRefused(
            "invalid-agency-code",
            f"'{code}' is not an agency code (letters, digits, '_', '.', '-'; at most 64).",
            [{"field": "code", "type": "agency_code", "msg": "not an agency code"}],
        )
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise AgencyRefused(
            "invalid-agency",
            f"Unknown field '{unknown[0]}'; nothing was changed.",
            [{"field": name, "type": "extra_forbidden", "msg": "unknown field"} for name in unknown],
        )
    profile = await get_agency(session, code)
    before = _state(profile) if profile else dict.fromkeys(FIELDS)
    try:
        checked = AgencyFields.model_validate({**before, **fields}).model_dump()
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or None, "type": e["type"], "msg": e["msg"]} for e in exc.errors()]
        first = errors[0]
        raise AgencyRefused(
            "invalid-agency", f"The profile is not valid: {first['field']}: {first['msg']}; nothing was changed.", errors
        ) from None
    if checked["parent"] != before["parent"]:
        # Where an agency sits decides who sees its records (a city sees its counties): the operator's choice,
        # not the agency's own administrator's.
        if principal.agency != ALL_AGENCIES:
            raise Problem(
                403,
                "agency-parent-operator",
                "Only the operator (the CLI or an admin of '*') places an agency under another; nothing was changed.",
                errors=[{"field": "parent", "type": "operator_only", "msg": "operator only"}],
            )
        if checked["parent"] is not None:
            await _check_parent(session, code, checked["parent"])
    changed = [name for name in FIELDS if checked[name] != before[name]]
    if profile is not None and not changed:
        return profile
    who, now = principal.name or str(principal.role), utcnow()
    if profile is None:
        profile = AgencyProfile(code=code, version=0, **checked)
        session.add(profile)
    for name in changed:
        setattr(profile, name, checked[name])
    profile.version += 1
    profile.updated_at, profile.updated_by = now, who
    try:
        await session.flush()
        session.add(
            AgencyProfileVersion(code=code, version=profile.version, fields=checked, changed=changed, changed_at=now, changed_by=who)
        )
        await session.flush()
    except IntegrityError:  # another request created or changed the profile meanwhile: its version number is taken
        await session.rollback()
        raise Problem(
            409, "agency-changed-concurrently", f"The profile of '{code}' was changed meanwhile; read it and try again."
        ) from None
    created = profile.version == 1
    await record(
        session,
        principal,
        "agency.created" if created else "agency.updated",
        agency=code,
        payload={
            "code": code,
            "version": profile.version,
            "changed": {name: checked[name] for name in changed},
            **({} if created else {"previous": {name: before[name] for name in changed}}),
        },
    )
    return profile


async def _check_parent(session: AsyncSession, code: str, parent: str) -> None:
    parents = await _parents(session)
    if parent not in parents:
        raise AgencyRefused(
            "unknown-parent",
            f"No agency '{parent}' has a profile: register the parent first.",
            [{"field": "parent", "type": "unknown_parent", "msg": "no such agency"}],
        )
    seen: set[str] = set()
    step: str | None = parent
    while step is not None and step not in seen:
        if step == code:
            raise AgencyRefused(
                "agency-cycle",
                f"'{parent}' is '{code}' itself or lies under it: an agency cannot be under itself.",
                [{"field": "parent", "type": "agency_cycle", "msg": "would make a cycle"}],
            )
        seen.add(step)
        step = parents.get(step)


async def versions_of(session: AsyncSession, code: str) -> list[AgencyProfileVersion]:
    return list(
        (
            await session.execute(
                select(AgencyProfileVersion).where(AgencyProfileVersion.code == code).order_by(AgencyProfileVersion.version)
            )
        ).scalars()
    )


def missing_for_publication(profile: AgencyProfile | None) -> list[str]:
    """What an agency must register before what it publishes is valid, in Chinese (empty: nothing)."""
    if profile is None:
        return ["未登记本单位信息（机关全称、统一社会信用代码）"]
    missing = []
    if not (profile.name_zh or "").strip():
        missing.append("未登记机关全称")
    if not (profile.uscc or "").strip():
        missing.append("未登记统一社会信用代码")
    return missing


def agency_name(profile: AgencyProfile | None, code: str | None) -> str:
    """How a page or a file names an agency: its full name, else its code, else (no agency) every agency."""
    if profile is not None:
        return profile.name_zh
    return code if code and code != ALL_AGENCIES else "全部单位"


def remedy_zh(profile: AgencyProfile) -> str | None:
    """救济渠道 as a service guide states it, from the profile's 复议机关 and court."""
    parts = []
    if profile.review_body:
        parts.append(f"申请行政复议：{profile.review_body}")
    if profile.court:
        parts.append(f"提起行政诉讼：{profile.court}")
    return "；".join(parts) or None
