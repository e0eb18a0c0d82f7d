import time
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy import event

from ..cases.service import get_case
from ..catalog.service import CatalogDep
from ..core.db import DbSession
from ..core.deps import SettingsDep
from ..core.principals import Principal, Role, require_roles
from .model import timeline_json
from .schemas import Timeline
from .service import assemble_timeline, record_timeline_read

router = APIRouter(prefix="/api/v1/cases", tags=["timeline"])
TimelineReader = Annotated[Principal, require_roles(Role.admin, Role.case_system, Role.auditor, Role.reviewer)]


@router.get(
    "/{case_id}/timeline",
    summary="The complete written and audio-visual record of a case, with what is missing",
    description='`Server-Timing: db;desc="N statements"` tells how many SQL statements assembled it (a constant).',
    response_model=None,
    responses={200: {"model": Timeline, "description": "The timeline"}},
)
async def timeline(
    case_id: str,
    catalog: CatalogDep,
    principal: TimelineReader,
    session: DbSession,
    settings: SettingsDep,
    format: Annotated[str, Query(pattern="^json$", description="only json for now")] = "json",
) -> Response:
    case = await get_case(session, principal, case_id)
    connection = (await session.connection()).sync_connection
    statements = [0]

    def count(*_args: object) -> None:
        statements[0] += 1

    started = time.perf_counter()
    event.listen(connection, "before_cursor_execute", count)
    try:
        body = await assemble_timeline(session, catalog, settings, principal, case)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    elapsed_ms = (time.perf_counter() - started) * 1000
    await record_timeline_read(session, principal, case, body)
    return Response(
        timeline_json(body),
        media_type="application/json",
        headers={"Server-Timing": f'db;desc="{statements[0]} statements";dur={elapsed_ms:.1f}'},
    )
