"""Which version of a published list is served, and the versions served before it."""

import hashlib
import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..agencies.service import get_agency, remedy_zh
from ..audit.service import SYSTEM, record
from ..catalog.schemas import PublishedList
from ..core.problems import Problem
from .models import PublishedListVersion

LIST_NAMES = {"matters": "行政执法事项清单", "inspection_matters": "随机抽查事项清单"}


def digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


async def current_version(session: AsyncSession, name: str, published: PublishedList) -> PublishedListVersion:
    """The stored version of the list the catalog holds now; the first time it is served it is recorded
    (with an audit event), so an edit of the file never silently replaces what was published."""
    content = published.model_dump(mode="json")
    sha256 = digest(content)
    for _attempt in range(3):
        found = (
            await session.execute(
                select(PublishedListVersion).where(PublishedListVersion.name == name, PublishedListVersion.sha256 == sha256)
            )
        ).scalar_one_or_none()
        if found is not None:
            return found
        seq = (
            await session.execute(select(func.coalesce(func.max(PublishedListVersion.seq), 0)).where(PublishedListVersion.name == name))
        ).scalar_one() + 1
        row = PublishedListVersion(
            name=name,
            seq=seq,
            version=published.version,
            effective_from=published.effective_from,
            note=published.note,
            sha256=sha256,
            content=content,
        )
        session.add(row)
        try:
            await session.flush()
            await record(
                session,
                SYSTEM,
                "list.version_recorded",
                payload={
                    "list": name,
                    "seq": seq,
                    "version": published.version,
                    "effective_from": published.effective_from.isoformat(),
                    "sha256": sha256,
                    "items": len(content.get("items", [])),
                },
            )
            await session.flush()
            return row
        except IntegrityError:  # another instance recorded it (or took the number) first: read again
            await session.rollback()
    raise Problem(503, "list-busy", "The list's version could not be recorded; try again.")


async def versions_of(session: AsyncSession, name: str) -> list[PublishedListVersion]:
    return list(
        (
            await session.execute(
                select(PublishedListVersion).where(PublishedListVersion.name == name).order_by(PublishedListVersion.seq.desc())
            )
        ).scalars()
    )


async def served_list(
    session: AsyncSession, name: str, published: PublishedList | None, seq: int | None = None
) -> tuple[PublishedListVersion, list[PublishedListVersion]]:
    """The list now (or the version numbered `seq`) and every version served so far, newest first."""
    if published is None:
        raise Problem(404, "list-not-kept", f"This deployment publishes no {LIST_NAMES[name]}.")
    current = await current_version(session, name, published)
    versions = await versions_of(session, name)
    if seq is None:
        return current, versions
    chosen = next((v for v in versions if v.seq == seq), None)
    if chosen is None:
        raise Problem(
            404,
            "list-version-not-found",
            f"The {LIST_NAMES[name]} has no version {seq}; versions: " + ", ".join(str(v.seq) for v in versions) + ".",
        )
    return chosen, versions


async def agency_guide(session: AsyncSession, code: str | None) -> dict[str, Any] | None:
    """What a service guide or flowchart of one agency states from its profile: 办理机关, 地址, 电话, 办公时间 and
    救济渠道 (申请行政复议 to its 复议机关, 提起行政诉讼 at its court). None without `code`; 404 for an agency without a profile."""
    if not code:
        return None
    profile = await get_agency(session, code)
    if profile is None:
        raise Problem(404, "agency-not-found", f"No agency profile '{code}'.")
    return {
        "code": profile.code,
        "name_zh": profile.name_zh,
        "address": profile.address,
        "phone": profile.phone,
        "office_hours": profile.office_hours,
        "review_body": profile.review_body,
        "court": profile.court,
        "remedy_zh": remedy_zh(profile),
    }
