"""`GET /api/v1/cases/{case_id}/export`: the case file as a BagIt zip, streamed."""

import asyncio
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from ..audit.service import record
from ..auth.deps import require_roles
from ..auth.service import Principal, Role
from ..cases.service import get_case
from ..db import DbSession
from ..deps import SettingsDep, StoreDep
from ..problems import Problem
from ..auth.deps import Reader
from .bag import build_case_bag
from .signing import load_signing_key

router = APIRouter(prefix="/api/v1/cases", tags=["export"])
keys_router = APIRouter(prefix="/api/v1/keys", tags=["export"])
ExportReader = Annotated[Principal, require_roles(Role.admin, Role.case_system, Role.auditor, Role.reviewer)]


@router.get(
    "/{case_id}/export",
    summary="The case file as a BagIt bag in a zip (footage included), verifiable offline",
    description="Layout and checks: see `recording-service verify-export`. Stored uncompressed; `Content-Length` is exact. "
                "Writes a `case.exported` audit event with the bag's manifest digest.",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}},
)
async def export_case(case_id: str, request: Request, principal: ExportReader, session: DbSession, settings: SettingsDep,
                      store: StoreDep) -> StreamingResponse:
    case = await get_case(session, principal, case_id)
    catalog = request.app.state.catalog
    if catalog.procedure(case.procedure) is None:
        raise Problem(409, "procedure-retired", f"Procedure '{case.procedure}' is no longer in the catalog.")
    bag = await build_case_bag(session, catalog, settings, principal, case, load_signing_key(settings.signing_key_file))
    await record(session, principal, "case.exported", agency=case.agency, case_id=case.id, payload=bag.summary)
    await session.commit()
    stream = bag.zip(store, asyncio.get_running_loop())
    filename = f"{bag.name}.zip"
    return StreamingResponse(stream, media_type="application/zip", headers={
        "Content-Length": str(len(stream)),
        "Content-Disposition": f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}",
        "X-Bag-Manifest-Sha256": bag.summary["manifest_sha256"],
    })


@keys_router.get("", summary="The public key(s) that sign case files (check a bag offline with `verify-export --key`)")
async def signing_keys(principal: Reader, settings: SettingsDep) -> dict:
    return {"items": [load_signing_key(settings.signing_key_file).describe()], "next_cursor": None}
