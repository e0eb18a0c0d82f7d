"""A case with something of every part of the timeline, built in-process in a migrated SQLite file (no server):
stages open, closed and not started, documents, footage bound with and without a segment, footage unbound,
an explained interruption, a party whose identity number is wrong and limits long run out — so the timeline
holds deadlines of both shapes and findings of many kinds."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recording_service.auth.models import ApiToken
from recording_service.cases.models import Case
from recording_service.cases.record import bind_media, create_document, explain_interruption, open_stage, unbind_media, update_stage
from recording_service.cases.schemas import BindingCreate, CaseCreate, DocumentCreate, InterruptionCreate, StageOpen, StageUpdate
from recording_service.cases.service import create_case
from recording_service.catalog.schemas import Catalog
from recording_service.catalog.service import load_catalog
from recording_service.core.config import Settings
from recording_service.core.db import create_engine
from recording_service.core.migrate import upgrade
from recording_service.core.principals import Principal, Role
from recording_service.media.models import Media

from .clock import agency_today

AGENCY = "timeline-unit"
START = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


@dataclass
class Built:
    catalog: Catalog
    settings: Settings
    principal: Principal
    sessions: async_sessionmaker[AsyncSession]
    case_id: str


def _media(principal: Principal, n: int, start: datetime | None, seconds: float, status: str = "ready") -> Media:
    digest = hashlib.sha256(f"clip {n}".encode()).hexdigest()
    return Media(
        agency=AGENCY,
        sha256=digest,
        size=1000 + n,
        storage_key=f"objects/{digest}",
        status=status,
        content_type="video/mp4",
        filename=f"clip{n}.mp4",
        device_id="CAM-1",
        officer_ids=["O1"],
        recorded_started_at=start,
        recorded_ended_at=start + timedelta(seconds=seconds) if start else None,
        duration_s=seconds,
        created_by=principal.id,
        uploaded_at=(start or START) + timedelta(hours=2),
    )


async def build_case(directory: Path) -> Built:
    url = f"sqlite:///{directory / 'timeline.db'}"
    upgrade(url)
    settings = Settings(database_url=url, storage_url=f"file://{directory / 'objects'}")
    catalog = load_catalog()
    principal = Principal(id="tok-timeline-unit", name="timeline unit", role=Role.admin, agency=AGENCY)
    sessions = async_sessionmaker(create_engine(url), expire_on_commit=False)
    async with sessions() as session:
        session.add(ApiToken(id=principal.id, name=principal.name, role="admin", agency=AGENCY, token_hash="0" * 64))
        await session.commit()
        case = await create_case(
            session,
            catalog,
            principal,
            CaseCreate(
                case_number="时间线〔2024〕1号",
                procedure="penalty-general",
                title="A case with every part of the timeline",
                parties=[{"name": "张三", "kind": "person", "id_number": "110101199003070000"}],
                officers=[{"officer_id": "O1", "name": "李四", "certificate_number": "C-1"}, {"officer_id": "O2", "name": "王五"}],
                opened_at=START,
            ),
            agency_today(),
        )
        filing = await open_stage(session, catalog, principal, case, StageOpen(stage="filing", started_at=START, officers=["O1"]))
        await create_document(
            session,
            catalog,
            principal,
            case,
            DocumentCreate(
                stage_id=filing.id,
                doc_type="case_filing_form",
                title="立案审批表",
                doc_number="not a number",
                status="signed",
                signed_at=START + timedelta(hours=1),
            ),
        )
        await update_stage(session, catalog, principal, case, filing, StageUpdate(ended_at=START + timedelta(days=1), note="done"))
        investigation = await open_stage(
            session, catalog, principal, case, StageOpen(stage="investigation", started_at=START + timedelta(days=2), officers=["O1", "O2"])
        )
        clip_start = START + timedelta(days=2, hours=1)
        clips = [
            _media(principal, 1, clip_start, 600),
            _media(principal, 2, clip_start + timedelta(minutes=30), 300),
            _media(principal, 3, None, 60),
            _media(principal, 4, clip_start + timedelta(hours=1), 60, status="corrupt"),
        ]
        session.add_all(clips)
        await session.commit()
        await bind_media(session, principal, case, investigation, BindingCreate(media_id=clips[0].id))
        await bind_media(session, principal, case, investigation, BindingCreate(media_id=clips[1].id, start_offset_s=10, end_offset_s=200))
        await bind_media(session, principal, case, investigation, BindingCreate(media_id=clips[2].id, note="no clock"))
        wrong = await bind_media(session, principal, case, investigation, BindingCreate(media_id=clips[3].id))
        await unbind_media(session, principal, case, investigation, wrong.id, "bound by mistake")
        await explain_interruption(
            session,
            catalog,
            principal,
            case,
            investigation,
            InterruptionCreate(
                device_id="CAM-1",
                gap_start=clip_start + timedelta(seconds=600),
                gap_end=clip_start + timedelta(minutes=30),
                reason="battery_depleted",
                text=None,
            ),
        )
        await session.commit()  # the services flush; the caller owns the transaction (a request's unit of work, here this)
        case_id = case.id
    return Built(catalog, settings, principal, sessions, case_id)


async def case_of(session: AsyncSession, case_id: str) -> Case:
    case = await session.get(Case, case_id)
    assert case is not None
    return case
