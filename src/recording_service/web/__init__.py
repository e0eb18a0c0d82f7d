"""The pages for people (auditors, reviewers, administrators): sign-in, case search and review, footage,
the audit trail. Pages call the same services as the API; nothing here reads another package's tables.

May import: `core` and what the pages show: `agencies`, `audit`, `auth`, `cases`, `catalog`, `complaints`, `custody`,
`export`, `inspections`, `lists`, `live`, `media`, `officers`, `publication`, `review`, `shares`, `stats`, `window_staff`. Nothing imports `web` but the app.
"""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..core.messages import errors_zh
from ..core.problems import Problem
from .agencies import router as agencies_router
from .audit import router as audit_router
from .complaints import router as complaints_router
from .devices import router as devices_router
from .display import router as display_router
from .inspections import router as inspections_router
from .lists import router as lists_router
from .live import router as live_router
from .officers import router as officers_router
from .publications import router as publications_router
from .render import problem_page
from .router import router
from .session import SignInNeeded, login_url
from .shares import router as shares_router
from .stats import router as stats_router
from .unlinked import router as unlinked_router
from .uploads import router as uploads_router
from .window_staff import router as window_staff_router

NOT_PAGES = ("/api/", "/docs", "/openapi.json", "/healthz", "/static/")


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(NOT_PAGES)


def install_pages(app: FastAPI) -> None:
    """Routes, static files, and the handlers that answer a page's errors as pages (the API keeps its problems)."""
    app.include_router(router)
    app.include_router(audit_router)
    app.include_router(officers_router)
    app.include_router(publications_router)
    app.include_router(lists_router)
    app.include_router(stats_router)
    app.include_router(agencies_router)
    app.include_router(display_router)
    app.include_router(complaints_router)
    app.include_router(window_staff_router)
    app.include_router(inspections_router)
    app.include_router(unlinked_router)  # issue 27: 未关联音像
    app.include_router(devices_router)
    app.include_router(shares_router)
    app.include_router(uploads_router)
    app.include_router(live_router)  # issue 29: 实时查看
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    api_problem = app.exception_handlers[Problem]
    api_http = app.exception_handlers[StarletteHTTPException]
    api_validation = app.exception_handlers[RequestValidationError]

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded):
        from fastapi.responses import RedirectResponse

        if request.method in ("GET", "HEAD"):
            return RedirectResponse(login_url(exc.next_path), status_code=303)
        return problem_page(request, Problem(401, "unauthenticated", "登录已过期，请重新登录。"))

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        if is_page(request):
            return problem_page(request, exc, _person(request))
        return await api_problem(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if is_page(request):
            code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
            return problem_page(request, Problem(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {})), _person(request))
        return await api_http(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        if is_page(request):
            said = "；".join(dict.fromkeys(errors_zh(exc.errors(), "page")))  # the fields named by their labels
            detail = f"提交或查询的内容有误：{said}。" if said else "提交或查询的内容有误（过长或格式不对）。"
            return problem_page(request, Problem(422, "validation-error", detail), _person(request))
        return await api_validation(request, exc)


def _person(request: Request):
    principal = getattr(request.state, "principal", None)
    if principal is None or principal.kind != "user":
        return None
    return {"principal": principal, "agency_name": getattr(request.state, "agency_name", None)}


__all__ = ["install_pages"]
