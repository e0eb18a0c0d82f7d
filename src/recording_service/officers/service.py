"""Maintaining the register: every change in the request's transaction with its audit event."""

import hmac
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal, TypedDict

import anyio
import orjson
from fastapi import Query
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import Select, Text, cast, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from ..audit.service import Entry, record_many
from ..core.config import Settings
from ..core.db import utcnow
from ..core.ids import new_id
from ..core.messages import error_zh, problem_text, text
from ..core.pagination import keyset, page_of
from ..core.principals import ALL_AGENCIES, Principal, scoped_to_agency
from ..core.problems import Problem
from ..core.sheets import SheetLimits, SheetRefused, Table, read_table_off_loop
from .collation import sort_key
from .models import Officer, OfficerStatusChange
from .schemas import STATUS_BY_NAME, CertificateStatus, OfficerCreate, OfficerUpdate

EDITABLE = ("name", "unit", "certificate_number", "categories", "regions", "valid_from", "valid_to")


def visible_officers(principal: Principal) -> Select[Officer]:
    return scoped_to_agency(select(Officer), Officer.agency, principal)


def _keyed(officer: Officer) -> Officer:
    """The officer with the pinyin sort keys of its unit and name brought up to date (the lists' order)."""
    officer.unit_key = sort_key(officer.unit)
    officer.name_key = sort_key(officer.name, person=True)
    return officer


class OfficerSort(StrEnum):
    """How a list of officers is ordered: by unit, then name, both in 汉语拼音 order (the default); by 执法证号; or
    (the staff API's default, for scripts) by the agency's officer number."""

    name = "name"
    certificate_number = "certificate_number"
    officer_id = "officer_id"


SORT_KEYS: dict[OfficerSort, list[InstrumentedAttribute[Any]]] = {
    # Within a unit's pinyin key, the unit's own text keeps units that read alike apart; homophones (张/章) by the name.
    OfficerSort.name: [Officer.agency, Officer.unit_key, Officer.unit, Officer.name_key, Officer.name, Officer.id],
    OfficerSort.certificate_number: [Officer.certificate_number, Officer.id],
    OfficerSort.officer_id: [Officer.officer_id, Officer.id],
}


def ordered(query: Select[Officer], sort: OfficerSort) -> Select[Officer]:
    """The whole list in this order (no page)."""
    return query.order_by(*SORT_KEYS[sort])


async def officer_page(
    session: AsyncSession, query: Select[Officer], sort: OfficerSort, cursor: str | None, limit: int
) -> tuple[list[Officer], str | None]:
    """One page of the list in this order, and the cursor of the next."""
    keys = SORT_KEYS[sort]
    rows = (await session.execute(keyset(query, keys, cursor, limit))).scalars().all()
    return page_of(list(rows), [key.key for key in keys], limit)


async def get_officer(session: AsyncSession, principal: Principal, officer_id: str) -> Officer:
    officer = (await session.execute(visible_officers(principal).where(Officer.officer_id == officer_id))).scalar_one_or_none()
    if officer is None:
        raise Problem(404, "officer-not-found", f"No officer {officer_id} in the register.", detail_zh=problem_text("officer-not-found"))
    return officer


def _agency_of(principal: Principal) -> str:
    if principal.agency == ALL_AGENCIES:
        raise Problem(403, "agency-required", "The register is kept per agency: use a token of that agency.")
    return principal.agency


def _new_officer(principal: Principal, agency: str, body: OfficerCreate) -> tuple[Officer, OfficerStatusChange, Entry]:
    """A new officer, its first status, and the event that registers it (nothing added yet)."""
    officer = _keyed(
        Officer(
            id=new_id(),
            agency=agency,
            officer_id=body.officer_id,
            status=body.status.value,
            created_at=utcnow(),
            updated_at=utcnow(),
            **body.model_dump(include=set(EDITABLE)),
        )
    )
    first = OfficerStatusChange(
        officer_pk=officer.id,
        status=body.status.value,
        effective_on=body.valid_from,
        reason="registered",
        changed_at=utcnow(),
        changed_by=principal.name,
    )
    event = Entry(
        "officer.registered",
        agency=agency,
        payload={"officer_id": officer.officer_id, **body.model_dump(mode="json", exclude={"officer_id"})},
    )
    return officer, first, event


async def create_officer(session: AsyncSession, principal: Principal, body: OfficerCreate, today: date) -> Officer:
    agency = _agency_of(principal)
    if (await session.execute(select(Officer.id).where(Officer.agency == agency, Officer.officer_id == body.officer_id))).first():
        raise Problem(
            409,
            "officer-exists",
            f"Officer {body.officer_id} is already in the register; PATCH it.",
            detail_zh=f"执法人员编号 {body.officer_id} 已在清单中，请在其页面上修改。",
        )
    officer, first, event = _new_officer(principal, agency, body)
    session.add(officer)
    await session.flush()
    session.add(first)
    await record_many(session, principal, [event])
    return officer


def _apply_update(
    principal: Principal, officer: Officer, body: OfficerUpdate, today: date
) -> tuple[OfficerStatusChange | None, Entry | None]:
    """Change the officer as `body` says: its new status row (if the status changed) and the event (None: unchanged)."""
    changes = {
        name: value
        for name, value in body.model_dump(include=set(EDITABLE), exclude_unset=True).items()
        if value is not None and value != getattr(officer, name)
    }
    valid_from, valid_to = changes.get("valid_from", officer.valid_from), changes.get("valid_to", officer.valid_to)
    if valid_to < valid_from:
        raise Problem(422, "invalid-validity", "valid_to would lie before valid_from.")
    for name, value in changes.items():
        setattr(officer, name, value)
    if "name" in changes or "unit" in changes:
        _keyed(officer)
    status_changed = body.status is not None and body.status.value != officer.status
    change: OfficerStatusChange | None = None
    if status_changed:
        assert body.status is not None
        effective = body.effective_on or today
        officer.status = body.status.value
        change = OfficerStatusChange(
            officer_pk=officer.id,
            status=body.status.value,
            effective_on=effective,
            reason=(body.reason or "").strip() or None,
            changed_at=utcnow(),
            changed_by=principal.name,
        )
    if not changes and not status_changed:
        return None, None
    officer.updated_at = utcnow()
    payload: dict[str, Any] = {name: (value.isoformat() if isinstance(value, date) else value) for name, value in changes.items()}
    if status_changed:
        payload.update(status=officer.status, effective_on=(body.effective_on or today).isoformat(), reason=body.reason)
    return change, Entry("officer.updated", agency=officer.agency, payload={"officer_id": officer.officer_id, **payload})


async def update_officer(session: AsyncSession, principal: Principal, officer: Officer, body: OfficerUpdate, today: date) -> bool:
    change, event = _apply_update(principal, officer, body, today)
    if change is not None:
        session.add(change)
    if event is None:
        return False
    await session.flush()
    await record_many(session, principal, [event])
    return True


async def history_of(session: AsyncSession, officer: Officer) -> list[OfficerStatusChange]:
    return list(
        (
            await session.execute(
                select(OfficerStatusChange)
                .where(OfficerStatusChange.officer_pk == officer.id)
                .order_by(OfficerStatusChange.effective_on, OfficerStatusChange.changed_at, OfficerStatusChange.id)
            )
        ).scalars()
    )


def status_on(officer: Officer, history: list[OfficerStatusChange], day: date) -> str | None:
    """The certificate's standing on a day: None outside its validity, else the status then in force."""
    if not officer.valid_from <= day <= officer.valid_to:
        return None
    standing = CertificateStatus.valid.value
    for change in history:  # ordered by effective_on
        if change.effective_on <= day:
            standing = change.status
    return standing


# --- the public certificate check ----------------------------------------------------------------

CheckAnswer = Literal["valid", "suspended", "revoked", "unknown"]
# How a standing reads to the public: a cancelled (注销) certificate, or one outside its validity, is no valid
# certificate, and says no more than an unknown one.
CHECK_ANSWERS: dict[str | None, CheckAnswer] = {"valid": "valid", "suspended": "suspended", "revoked": "revoked"}
CHECK_ORDER: tuple[CheckAnswer, ...] = ("valid", "suspended", "revoked", "unknown")


def checked_text(value: str) -> str:
    """A certificate number or a name as typed by anyone: NFKC (full-width letters and digits to their usual forms),
    without spaces or invisible characters."""
    folded = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in folded if not (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")))


async def certificate_check(session: AsyncSession, certificate_number: str, name: str, day: date) -> CheckAnswer:
    """Whether a 执法证 with this number, held by this name, is valid, suspended or revoked on `day` — else unknown.

    A wrong name answers exactly as a wrong number does (unknown, after the same statements), so the check cannot
    be used to learn who holds a number. Several agencies may hold the number (an officer who moved): the best
    standing of the records held by that name answers."""
    number, person = checked_text(certificate_number), checked_text(name)
    if not number or not person:
        return "unknown"
    rows = (
        await session.execute(
            select(Officer, OfficerStatusChange)
            .outerjoin(OfficerStatusChange, OfficerStatusChange.officer_pk == Officer.id)
            .where(Officer.certificate_number.in_(sorted({number, certificate_number.strip()})))
            .order_by(Officer.id, OfficerStatusChange.effective_on, OfficerStatusChange.changed_at)
        )
    ).all()
    found: dict[str, tuple[Officer, list[OfficerStatusChange]]] = {}
    for officer, change in rows:
        entry = found.setdefault(officer.id, (officer, []))
        if change is not None:
            entry[1].append(change)
    answers: set[CheckAnswer] = set()
    for officer, history in found.values():
        if not hmac.compare_digest(checked_text(officer.name).encode(), person.encode()):
            continue
        standing = status_on(officer, history, day)
        if standing is None and officer.status == CertificateStatus.revoked.value and officer.valid_from <= day:
            standing = "revoked"  # a revoked certificate stays revoked after its term would have ended
        answers.add(CHECK_ANSWERS.get(standing, "unknown"))
    return next((answer for answer in CHECK_ORDER if answer in answers), "unknown")


@dataclass(frozen=True)
class CertifiedOfficer:
    """An officer certified on a day for a category: who may be drawn to inspect (双随机's 执法检查人员名录库)."""

    officer_id: str
    name: str
    certificate_number: str
    unit: str


async def certified_for(session: AsyncSession, agency: str, category: str, day: date) -> list[CertifiedOfficer]:
    """The agency's officers whose certificate was in force on `day` (within its validity, valid by its status
    history then) and covers the 执法类别 `category`, by officer number. Two statements whatever the register's size."""
    officers = (
        (await session.execute(select(Officer).where(Officer.agency == agency, Officer.valid_from <= day, Officer.valid_to >= day)))
        .scalars()
        .all()
    )
    covering = [o for o in officers if category in (o.categories or [])]
    histories: dict[str, list[OfficerStatusChange]] = {o.id: [] for o in covering}
    if covering:
        changes = await session.execute(
            select(OfficerStatusChange)
            .where(OfficerStatusChange.officer_pk.in_(sorted(histories)))
            .order_by(OfficerStatusChange.effective_on, OfficerStatusChange.changed_at, OfficerStatusChange.id)
        )
        for change in changes.scalars():
            histories[change.officer_pk].append(change)
    return sorted(
        (
            CertifiedOfficer(o.officer_id, o.name, o.certificate_number, o.unit)
            for o in covering
            if status_on(o, histories[o.id], day) == CertificateStatus.valid.value
        ),
        key=lambda c: c.officer_id,
    )


@dataclass(frozen=True)
class PublicFilter:
    """What the public may look for in the 资格清单: a name or unit by any part of it, a certificate number
    exactly, a category (执法类别) among the certificate's."""

    agency: str | None = None
    name: str | None = None
    unit: str | None = None
    certificate_number: str | None = None
    category: str | None = None
    sort: OfficerSort = OfficerSort.name


PUBLIC_SORTS = "^(name|certificate_number)$"


def public_filter(  # the public list's query parameters (the API's and the page's alike)
    agency: Annotated[str | None, Query(max_length=64, description="one agency's list")] = None,
    name: Annotated[str | None, Query(max_length=100, description="any part of the name")] = None,
    unit: Annotated[str | None, Query(max_length=200, description="any part of the unit's name")] = None,
    certificate_number: Annotated[str | None, Query(max_length=64, description="the 执法证号, exactly")] = None,
    category: Annotated[str | None, Query(max_length=100, description="a 执法类别 the certificate covers")] = None,
    sort: Annotated[
        str,
        Query(
            pattern=PUBLIC_SORTS, description="`name`: by unit, then name, in 汉语拼音 order (default); `certificate_number`: by 执法证号"
        ),
    ] = OfficerSort.name.value,
) -> PublicFilter:
    def clean(value: str | None) -> str | None:
        return (value or "").strip() or None

    return PublicFilter(
        agency=clean(agency),
        name=clean(name),
        unit=clean(unit),
        certificate_number=clean(certificate_number),
        category=clean(category),
        sort=OfficerSort(sort),
    )


def _containing(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def published_officers(today: date, where: PublicFilter) -> Select[Officer]:
    """The public 资格清单: officers whose certificate is valid today, as the filter narrows it."""
    query = select(Officer).where(Officer.status == "valid", Officer.valid_from <= today, Officer.valid_to >= today)
    if where.agency:
        query = query.where(Officer.agency == where.agency)
    if where.name:
        query = query.where(Officer.name.ilike(_containing(where.name), escape="\\"))
    if where.unit:
        query = query.where(Officer.unit.ilike(_containing(where.unit), escape="\\"))
    if where.certificate_number:
        query = query.where(Officer.certificate_number == where.certificate_number)
    if where.category:  # one element of the JSON list, as it is stored on both databases: ["医疗卫生","职业卫生"]
        query = query.where(cast(Officer.categories, Text).like(_containing(orjson.dumps(where.category).decode()), escape="\\"))
    return query


async def published_page(
    session: AsyncSession, today: date, where: PublicFilter, cursor: str | None, limit: int
) -> tuple[list[Officer], str | None]:
    return await officer_page(session, published_officers(today, where), where.sort, cursor, limit)


async def published_numbered(session: AsyncSession, today: date, where: PublicFilter, offset: int, limit: int) -> list[Officer]:
    """A numbered page of the public 资格清单 (the page's 上一页/下一页), in the list's order."""
    query = ordered(published_officers(today, where), where.sort).offset(offset).limit(limit)
    return list((await session.execute(query)).scalars().all())


async def published_count(session: AsyncSession, today: date, where: PublicFilter) -> int:
    return (await session.execute(select(func.count()).select_from(published_officers(today, where).subquery()))).scalar_one()


async def names_in_register(session: AsyncSession, agency: str) -> set[str]:
    """The names of the agency's registered officers, whatever their status (a published decision names them)."""
    return {name.strip() for name in (await session.execute(select(Officer.name).where(Officer.agency == agency))).scalars() if name}


@dataclass(frozen=True)
class OfficerNames:
    """Who the officer numbers of a page are, by the register (`names_of`: one statement for the whole page)."""

    names: dict[tuple[str, str], str]  # (agency, officer number) -> name

    def name(self, agency: str, officer_id: str) -> str | None:
        return self.names.get((agency, officer_id))

    def label(self, agency: str, officer_id: str, fallback: str | None = None) -> str:
        """How people read an officer: 张三（3401001）. A number the register does not know is shown with the name
        the caller knows otherwise (`fallback`: the name typed into the case), else as the number marked 未登记."""
        name = self.names.get((agency, officer_id)) or (fallback or "").strip()
        if name:
            return text("officer_named", name=name, officer_id=officer_id)
        return text("officer_unregistered", officer_id=officer_id)


async def names_of(session: AsyncSession, wanted: Iterable[tuple[str, str]]) -> OfficerNames:
    """The registered names of these (agency, officer number) pairs, whatever the certificate's status, in one statement."""
    pairs = {(agency, officer_id) for agency, officer_id in wanted if agency and officer_id}
    if not pairs:
        return OfficerNames({})
    rows = await session.execute(
        select(Officer.agency, Officer.officer_id, Officer.name).where(
            Officer.agency.in_(sorted({agency for agency, _ in pairs})), Officer.officer_id.in_(sorted({o for _, o in pairs}))
        )
    )
    return OfficerNames({(agency, officer_id): name for agency, officer_id, name in rows.all() if (agency, officer_id) in pairs})


def expiring_within(query: Select[Officer], today: date, days: int) -> Select[Officer]:
    return query.where(Officer.status == "valid", Officer.valid_to >= today, Officer.valid_to <= today + timedelta(days=days))


# --- bulk import ---------------------------------------------------------------------------------

COLUMNS = {
    "officer_id": ("officer_id", "执法人员编号", "人员编号", "编号"),
    "name": ("name", "姓名"),
    "unit": ("unit", "单位", "所在单位"),
    "certificate_number": ("certificate_number", "执法证号", "证件号"),
    "categories": ("categories", "执法类别", "执法门类"),
    "regions": ("regions", "执法区域"),
    "valid_from": ("valid_from", "有效期起", "有效期自"),
    "valid_to": ("valid_to", "有效期止", "有效期至"),
    "status": ("status", "状态"),
}
MAX_ROWS = 10_000


class RowError(TypedDict):
    """A problem with one row of a sheet (row None: the whole sheet), in English and in Chinese."""

    row: int | None
    field: str | None
    error: str
    error_zh: str


class ImportCounts(TypedDict):
    created: int
    updated: int
    unchanged: int
    rows: int


class ImportRefused(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} rows refused")
        self.errors = errors


def sheet_limits(settings: Settings) -> SheetLimits:
    return SheetLimits(max_rows=MAX_ROWS, max_unpacked_bytes=settings.max_sheet_unpacked_bytes)


def refused_sheet(refused: SheetRefused) -> Exception:
    """A sheet that was not read: unreadable ones are an import refused like a bad row (422 with the error
    listed); one too large or too long is its own problem (413)."""
    if refused.status == 422:
        return ImportRefused([{"row": None, "field": None, "error": refused.detail, "error_zh": refused.detail_zh}])
    return Problem(refused.status, refused.code, refused.detail, detail_zh=refused.detail_zh)


def header_rows(table: Table) -> list[tuple[int, dict[str, str]]]:
    """The sheet's rows as (row number, {column: text}), headers in Chinese or English."""
    positions: dict[str, int] = {}
    for field, names in COLUMNS.items():
        found = [i for i, cell in enumerate(table.header) if cell in names]
        if found:
            positions[field] = found[0]
    missing = [
        COLUMNS[f][1]
        for f in ("officer_id", "name", "unit", "certificate_number", "categories", "valid_from", "valid_to")
        if f not in positions
    ]
    if missing:
        raise ImportRefused(
            [{"row": 1, "field": None, "error": f"missing columns: {'、'.join(missing)}", "error_zh": f"缺少列：{'、'.join(missing)}"}]
        )
    return [(number, {field: row[i] for field, i in positions.items()}) for number, row in table.rows]


async def read_sheet(filename: str, data: bytes, settings: Settings) -> list[OfficerCreate]:
    """A CSV (UTF-8 or GBK) or XLSX sheet read and checked off the event loop, within the sheet limits."""
    try:
        table = await read_table_off_loop(filename, data, sheet_limits(settings))
    except SheetRefused as refused:
        raise refused_sheet(refused) from None
    return await anyio.to_thread.run_sync(lambda: parse_rows(header_rows(table)))


def split_list(text: str) -> list[str]:
    """A list typed into one cell or field: 、，;；| or commas between the items."""
    for separator in ("、", "，", ";", "；", "|"):
        text = text.replace(separator, ",")
    return [part.strip() for part in text.split(",") if part.strip()]


def _error_zh(error: ErrorDetails) -> str:
    return error_zh(error, "officer")  # the message catalogue's words (core/messages.yaml)


def parse_rows(rows: list[tuple[int, dict[str, str]]]) -> list[OfficerCreate]:
    parsed: list[OfficerCreate] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    for number, row in rows:
        status = STATUS_BY_NAME.get(row.get("status") or "有效")
        try:
            if status is None:
                raise ValueError(
                    f"status '{row.get('status')}' is not one of 有效、暂扣、注销、吊销",
                    f"状态“{row.get('status')}”不是 有效、暂扣、注销、吊销 之一",
                )
            body = OfficerCreate.model_validate(
                {
                    "officer_id": row["officer_id"],
                    "name": row["name"],
                    "unit": row["unit"],
                    "certificate_number": row["certificate_number"],
                    "categories": split_list(row["categories"]),
                    "regions": split_list(row.get("regions", "")),
                    "valid_from": row["valid_from"],
                    "valid_to": row["valid_to"],
                    "status": status,
                }
            )
        except ValidationError as exc:
            errors += [
                {"row": number, "field": ".".join(str(p) for p in e["loc"]) or None, "error": e["msg"], "error_zh": _error_zh(e)}
                for e in exc.errors()
            ]
            continue
        except ValueError as exc:
            errors.append({"row": number, "field": "status", "error": str(exc.args[0]), "error_zh": str(exc.args[1])})
            continue
        if body.officer_id in seen:
            errors.append(
                {
                    "row": number,
                    "field": "officer_id",
                    "error": f"officer {body.officer_id} appears twice in the sheet",
                    "error_zh": f"人员编号 {body.officer_id} 在表中重复出现",
                }
            )
            continue
        seen.add(body.officer_id)
        parsed.append(body)
    if errors:
        raise ImportRefused(errors)
    return parsed


async def import_officers(
    session: AsyncSession, principal: Principal, bodies: list[OfficerCreate], today: date, filename: str | None
) -> ImportCounts:
    """Create or update every row (audited); the caller commits all or (on any error) nothing."""
    agency = _agency_of(principal)
    existing = {o.officer_id: o for o in (await session.execute(select(Officer).where(Officer.agency == agency))).scalars()}
    counts: ImportCounts = {"created": 0, "updated": 0, "unchanged": 0, "rows": len(bodies)}
    # One event per changed row, in the sheet's order, all appended at once: a 10,000-row sheet is a handful of
    # statements, not tens of thousands (the sheet's reader has refused an officer number given twice).
    officers: list[Officer] = []
    changes: list[OfficerStatusChange] = []
    events: list[Entry] = []
    for body in bodies:
        officer = existing.get(body.officer_id)
        if officer is None:
            officer, first, registered = _new_officer(principal, agency, body)
            officers.append(officer)
            changes.append(first)
            events.append(registered)
            counts["created"] += 1
            continue
        update = OfficerUpdate.model_validate(
            {
                **body.model_dump(include=set(EDITABLE)),
                **({"status": body.status, "reason": "bulk import"} if body.status.value != officer.status else {}),
            }
        )
        change, event = _apply_update(principal, officer, update, today)
        if change is not None:
            changes.append(change)
        if event is not None:
            events.append(event)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    session.add_all(officers)
    await session.flush()  # the officers first: their status rows refer to them
    session.add_all(changes)
    events.append(Entry("officer.imported", agency=agency, payload={"filename": filename, **counts}))
    await record_many(session, principal, events)
    return counts


# --- certified on the day ------------------------------------------------------------------------

STANDING_ZH = {
    "not_registered": "不在执法人员资格清单中",
    "outside_validity": "执法证不在有效期内",
    "suspended": "执法证被暂扣",
    "cancelled": "执法证已注销",
    "revoked": "执法证已吊销",
    "category": "执法证不含本案的执法类别",
}


@dataclass(frozen=True)
class Register:
    """The register as the timeline needs it: whether the agency keeps one, and the officers asked about."""

    adopted: bool
    officers: dict[str, tuple[Officer, list[OfficerStatusChange]]]

    def problem(self, officer_id: str, day: date, category: str | None) -> str | None:
        """Why an officer present on `day` was not certified then (None: certified)."""
        found = self.officers.get(officer_id)
        if found is None:
            return "not_registered"
        officer, history = found
        standing = status_on(officer, history, day)
        if standing is None:
            return "outside_validity"
        if standing != CertificateStatus.valid.value:
            return standing
        if category and category not in (officer.categories or []):
            return "category"
        return None

    def label(self, officer_id: str, typed: str | None = None) -> str:
        """How a finding names an officer: 张三（3401001） by the register, else by the name the case gives (`typed`),
        else the number alone (the finding itself says the register does not know it)."""
        found = self.officers.get(officer_id)
        name = found[0].name if found else (typed or "").strip()
        return text("officer_named", name=name, officer_id=officer_id) if name and name != officer_id else officer_id


async def register_for(session: AsyncSession, agency: str, officer_ids: set[str]) -> Register:
    """Two statements whatever the case's size: the officers asked about with their history, and whether
    the agency keeps a register at all (until it does, certificates typed into the case are taken as given)."""
    rows = (
        await session.execute(
            select(Officer, OfficerStatusChange)
            .outerjoin(OfficerStatusChange, OfficerStatusChange.officer_pk == Officer.id)
            .where(Officer.agency == agency, Officer.officer_id.in_(sorted(officer_ids) or [""]))
            .order_by(Officer.officer_id, OfficerStatusChange.effective_on, OfficerStatusChange.changed_at)
        )
    ).all()
    adopted = (await session.execute(select(exists().where(Officer.agency == agency)))).scalar()
    officers: dict[str, tuple[Officer, list[OfficerStatusChange]]] = {}
    for officer, change in rows:
        entry = officers.setdefault(officer.officer_id, (officer, []))
        if change is not None:
            entry[1].append(change)
    return Register(bool(adopted), officers)
