"""GET /livez, GET /readyz and GET /metrics: no token (the metrics take RECORDING_METRICS_TOKEN when it is set)."""

import hmac

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from ..core.metrics import Metrics
from ..core.problems import Problem, problem_response
from .schemas import ReadyOut
from .service import Readiness

router = APIRouter(tags=["health"])
# The classic text format, which every Prometheus reads (the client's "latest" is 1.0.0, which older ones refuse).
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@router.get("/livez", summary="Liveness: the process answers; nothing else is checked (no token needed)")
async def livez() -> JSONResponse:
    # What a liveness probe should restart for: a process that no longer answers. A database or store outage is not
    # one (restarting every replica would not end it, and would cut the uploads in flight): /readyz says that.
    return JSONResponse({"status": "alive"}, headers={"Cache-Control": "no-store"})


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
            # Answered here, as the API answers (not as a page: the pages answer errors outside /api as HTML).
            refused = Problem(
                401,
                "metrics-token",
                "GET /metrics needs the bearer token set in RECORDING_METRICS_TOKEN.",
                headers={"WWW-Authenticate": "Bearer"},
            )
            return problem_response(refused, request)
    collected: Metrics = request.app.state.metrics
    return Response(await collected.render(), media_type=METRICS_CONTENT_TYPE, headers={"Cache-Control": "no-store"})
