"""The case file handed to a reader: built, audited (`case.exported`) and streamed — one path for the
API and the pages."""

import asyncio
from urllib.parse import quote

from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import record
from ..cases.models import Case
from ..catalog.schemas import Catalog
from ..core.config import Settings
from ..core.principals import Principal
from ..core.problems import Problem
from ..media.delivery import EVIDENCE_HEADERS
from ..storage import ObjectStore
from .bag import build_case_bag
from .signing import load_signing_key


async def case_file_response(
    session: AsyncSession, catalog: Catalog, settings: Settings, store: ObjectStore, principal: Principal, case: Case
) -> StreamingResponse:
    if catalog.procedure(case.procedure) is None:
        raise Problem(409, "procedure-retired", f"Procedure '{case.procedure}' is no longer in the catalog.")
    bag = await build_case_bag(session, catalog, settings, principal, case, load_signing_key(settings.signing_key_file))
    await record(session, principal, "case.exported", agency=case.agency, case_id=case.id, payload=bag.summary)
    stream = bag.zip(store, asyncio.get_running_loop())
    filename = f"{bag.name}.zip"
    return StreamingResponse(
        stream,
        media_type="application/zip",
        headers={
            "Content-Length": str(len(stream)),
            "Content-Disposition": f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}",
            "X-Bag-Manifest-Sha256": bag.summary["manifest_sha256"],
            **EVIDENCE_HEADERS,
        },
    )
