"""GET /readyz and GET /metrics: no token (the metrics take RECORDING_METRICS_TOKEN when it is set)."""

import hmac

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from ..core.metrics import Metrics
from ..core.problems import Problem
from .schemas import ReadyOut
from .service import Readiness

router = APIRouter(tags=["health"])


@router.get(
    "/readyz",
    summary="Readiness: database and store reachable, migrations current, not shutting down (no token needed)",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "a check failed: `failed` names it, `detail` says why"}},
)
async def readyz(request: Request) -> JSONResponse:
    readiness: Readiness = request.app.state.readiness
    result = await readiness.check()
    return JSONResponse(
        result.model_dump(mode="json"), status_code=200 if result.status == "ready" else 503, headers={"Cache-Control": "no-store"}
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics of this process (text exposition format)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "the metrics, version 0.0.4 text format"}},
)
async def metrics(request: Request) -> Response:
    token: str | None = request.app.state.settings.metrics_token
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise Problem(401, "metrics-token", "GET /metrics needs the bearer token set in RECORDING_METRICS_TOKEN.")
    collected: Metrics = request.app.state.metrics
    return Response(await collected.render(), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
