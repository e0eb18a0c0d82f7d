"""RFC 9457 problem details: one exception type and the handlers that render it."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("recording_service")

PROBLEM_TYPE_BASE = "urn:recording-service:problem:"
PROBLEM_MEDIA_TYPE = "application/problem+json"


def _status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return {460: "Checksum Mismatch"}.get(status, "Error")


class Problem(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title or _status_title(status)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body = {"type": PROBLEM_TYPE_BASE + self.code, "title": self.title, "status": self.status, "detail": self.detail}
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


def problem_response(problem: Problem, request: Request | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    merged = {**problem.headers, **(headers or {})}
    instance = request.url.path if request is not None else None
    return JSONResponse(problem.body(instance), status_code=problem.status, headers=merged, media_type=PROBLEM_MEDIA_TYPE)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        detail = exc.detail if isinstance(exc.detail, str) else _status_title(exc.status_code)
        return problem_response(Problem(exc.status_code, code, detail, headers=dict(exc.headers or {})), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(Problem(500, "internal-error", "An unexpected error occurred; it has been logged."), request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(part) for part in err.get("loc", ())], "msg": err.get("msg", ""), "type": err.get("type", "")}
            for err in exc.errors()
        ]
        first = errors[0] if errors else None
        if first and first["type"] == "extra_forbidden":
            detail = f"Unknown field '{first['loc'][-1]}' in the {first['loc'][0]} (a typo?); nothing was changed."
        elif first:
            detail = f"The request is not valid: {'.'.join(first['loc'])}: {first['msg']}."
        else:
            detail = "The request is not valid."
        return problem_response(Problem(422, "validation-error", detail, errors=errors), request)


PROBLEM_SCHEMA = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `type` is urn:recording-service:problem:<code>, extra members as the problem needs",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}
PROBLEM_TITLES = {
    400: "Malformed request (header, query, metadata, cursor)",
    401: "No valid bearer token",
    403: "The token's role may not do this",
    404: "Not found (or another agency's)",
    409: "Conflicts with the current state",
    410: "The upload is closed",
    412: "Tus-Resumable missing",
    413: "Body or upload too large",
    415: "Unsupported Content-Type",
    422: "Request body not valid (unknown fields named)",
    423: "Another request holds the upload",
    429: "Too many open uploads, or too many requests to the public side",
    460: "Checksum or SHA-256 mismatch",
    503: "Database or object store unavailable; retry (Retry-After)",
}


def problem_responses(path: str, method: str) -> list[int]:
    """The problem statuses an operation can answer, for the OpenAPI document."""
    codes = [400, 401, 403, 404, 409, 413, 503]
    if method in ("post", "put", "patch"):
        codes.append(422)
    if path.startswith("/api/v1/uploads"):
        codes += [410, 412, 415, 423, 429, 460]
    elif path == "/api/v1/media" and method == "post":
        codes += [415, 429, 460]
    elif path.startswith("/api/v1/public/"):
        codes.append(429)
    return sorted(set(codes))


def document_problems(openapi: dict[str, Any]) -> dict[str, Any]:
    """Add the problem responses, with the problem+json schema, to every operation under /api/v1."""
    openapi.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in openapi.get("paths", {}).items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = problem_responses(path, method)
            if "422" in operation["responses"]:  # FastAPI's own validation answer, which we give as a problem
                codes = sorted({*codes, 422})
            for code in codes:
                operation["responses"][str(code)] = {"description": PROBLEM_TITLES[code], "content": content}
    return openapi
