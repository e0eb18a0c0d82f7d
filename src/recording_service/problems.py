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
    async def _problem(request: Request, exc: Problem):
        return problem_response(exc, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        detail = exc.detail if isinstance(exc.detail, str) else _status_title(exc.status_code)
        return problem_response(Problem(exc.status_code, code, detail, headers=dict(exc.headers or {})), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(Problem(500, "internal-error", "An unexpected error occurred; it has been logged."), request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
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
