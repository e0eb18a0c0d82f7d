"""`GET /api/v1/cases/{case_id}/export`: the case file as a BagIt zip, streamed."""

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse

from ..cases.service import get_case
from ..catalog.service import CatalogDep
from ..core.db import DbSession
from ..core.deps import SettingsDep, StoreDep
from ..core.principals import Principal, Reader, Role, require_roles
from ..core.public_side import ITEM, PUBLIC_CACHE, public_budget
from .service import case_file_response
from .signing import load_signing_key

router = APIRouter(prefix="/api/v1/cases", tags=["export"])
keys_router = APIRouter(prefix="/api/v1/keys", tags=["export"])
# The public half is no secret: a court or a lawyer holding a shared case's receipt, or a case file, checks it offline.
public_keys_router = APIRouter(prefix="/api/v1/public/keys", tags=["export"])
ExportReader = Annotated[Principal, require_roles(Role.admin, Role.case_system, Role.auditor, Role.reviewer)]


@router.get(
    "/{case_id}/export",
    summary="The case file as a BagIt bag in a zip (footage included), verifiable offline",
    description="Layout and checks: see `recording-service verify-export`. Stored uncompressed; `Content-Length` is exact. "
    "Writes a `case.exported` audit event with the bag's manifest digest.",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}},
)
async def export_case(
    case_id: str, catalog: CatalogDep, principal: ExportReader, session: DbSession, settings: SettingsDep, store: StoreDep
) -> StreamingResponse:
    case = await get_case(session, principal, case_id)
    return await case_file_response(session, catalog, settings, store, principal, case)


@keys_router.get("", summary="The public key(s) that sign case files (check a bag offline with `verify-export --key`)")
async def signing_keys(principal: Reader, settings: SettingsDep) -> dict[str, Any]:
    return {"items": [load_signing_key(settings.signing_key_file).describe()], "next_cursor": None}


@public_keys_router.get(
    "",
    summary="The public key(s) that sign case files and share receipts, without a token",
    description="The same as GET /api/v1/keys, for the people outside the agency who received a receipt or a case file: "
    "`recording-service verify-receipt FILE --key KEY.pem`, `verify-export --key`.",
    dependencies=[public_budget(ITEM)],
)
async def public_signing_keys(settings: SettingsDep) -> dict[str, Any]:
    return {"items": [load_signing_key(settings.signing_key_file).describe()], "next_cursor": None}


@public_keys_router.get(
    "/signing.pem",
    summary="The signing key's public half as a PEM file (what `--key` takes)",
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {"schema": {"type": "string"}}}}},
    dependencies=[public_budget(ITEM)],
)
async def public_signing_key_pem(settings: SettingsDep) -> Response:
    key = load_signing_key(settings.signing_key_file).describe()
    return Response(
        key["public_key_pem"],
        media_type="application/x-pem-file",
        headers={"Content-Disposition": f'attachment; filename="signing-key-{key["key_id"]}.pem"', **PUBLIC_CACHE},
    )
