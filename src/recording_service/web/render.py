"""Templates and the small formatting rules every page shares (local times, durations, short digests)."""

import math
from datetime import date, datetime
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from ..audit.describe import action_name
from ..core.messages import label, name_of, names, problem_zh
from ..core.problems import Problem
from .flash import forget_flash, take_flash

DISPLAY_COOKIE, LARGE = "rs_display", "large"  # 适老化 (web/display.py sets it)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

# Status words and value names come from the message catalogue (core/messages.yaml).
ROLE_NAMES = names("role")
CASE_STATUS_NAMES = names("case_status")
STAGE_STATUS_NAMES = names("stage_status")
MEDIA_STATUS_NAMES = names("media_status")
DOC_STATUS_NAMES = names("document_status")
FIXITY_NAMES = names("fixity")

# The menu: each page with the roles its route lets in (tests/api/test_navigation.py checks every link a role sees
# answers it, and every link it does not see refuses it).
NAV = (
    ("/cases", "案件查询", frozenset({"admin", "auditor", "reviewer"})),
    ("/officers", "执法人员", frozenset({"admin", "auditor", "reviewer"})),
    ("/window-staff", "窗口人员", frozenset({"admin", "auditor"})),
    ("/publications", "执法公示", frozenset({"admin", "auditor"})),
    ("/complaints", "投诉处理", frozenset({"admin", "auditor"})),
    ("/inspections", "双随机抽查", frozenset({"admin", "auditor"})),
    ("/devices", "设备管理", frozenset({"admin", "auditor"})),
    ("/unlinked", "未关联音像", frozenset({"admin", "auditor", "reviewer"})),
    ("/stats", "统计", frozenset({"admin", "auditor", "reviewer"})),
    ("/audit", "审计记录", frozenset({"admin", "auditor"})),
    ("/agencies", "单位信息", frozenset({"admin"})),
)


def nav_for(role: str) -> list[tuple[str, str]]:
    """The menu links a role may open."""
    return [(path, label) for path, label, roles in NAV if role in roles]


def actor(name: str | None) -> str:
    """Who changed something, as a person reads it: a person's name as it is; the service itself (the CLI) and a
    machine token by what they are (a token's default name is role@agency)."""
    if not name:
        return "—"
    known = name_of("actor", name, "")
    if known:
        return known
    role, at, agency = name.partition("@")
    if at and role in ROLE_NAMES:
        return f"{ROLE_NAMES[role]}接口（{agency}）"
    return name


def source_name(address: str | None) -> str:
    """Where an audited request came from: a client's address, or the service's own command line."""
    return name_of("source", address, address) if address else ""


def local_time(value: datetime | str | None, tz=None, seconds: bool = True) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if tz is not None and value.tzinfo is not None:
        value = value.astimezone(tz)
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "—"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}小时{minutes:02d}分{secs:02d}秒"
    if minutes:
        return f"{minutes}分{secs:02d}秒"
    return f"{secs}秒"


def size(value: int | None) -> str:
    if value is None:
        return "—"
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if value >= factor:
            return f"{value / factor:.1f} {unit}"
    return f"{value} B"


def points(value: float) -> str:
    """Review points as a reviewer writes them: 10, 2.5."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


templates.env.filters.update(
    points=points,
    local_time=local_time,
    duration=duration,
    size=size,
    short=lambda v, n=12: (v or "")[:n],
    role_name=lambda v: ROLE_NAMES.get(v, v),
    case_status=lambda v: CASE_STATUS_NAMES.get(v, v),
    stage_status=lambda v: STAGE_STATUS_NAMES.get(v, v),
    media_status=lambda v: MEDIA_STATUS_NAMES.get(v, v),
    doc_status=lambda v: DOC_STATUS_NAMES.get(v, v),
    fixity=lambda v: FIXITY_NAMES.get(v, v),
    action_name=action_name,
    zh=lambda v, kind, default=None: name_of(kind, v, default),  # {{ media.flag | zh("media_flag") }}
    label=lambda field, form: label(form, field),
    actor=actor,
    source_name=source_name,
)
templates.env.globals["nav_for"] = nav_for


def page(request: Request, name: str, context: dict, status_code: int = 200, person=None) -> HTMLResponse:
    flash, consumed = take_flash(request, person)  # a message the previous form's redirect left for this page
    context = {"person": person, "large_text": request.cookies.get(DISPLAY_COOKIE) == LARGE, **context}
    for key, value in flash.items():
        if context.get(key) is None:
            context[key] = value
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    response.headers["Vary"] = "Cookie"  # the 适老化 reading (web/display.py) is drawn from a cookie: a cache keeps each apart
    if consumed:
        forget_flash(response, request)
    return response


# Pages hold personal data and evidence: not cached, not framed, nothing but our own scripts and styles.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}

PROBLEM_TEXT = {
    401: "请先登录。",
    403: "您无权查看或进行此操作。",
    404: "没有找到",
    409: "操作与当前状态冲突。",
    410: "该内容已不可用。",
    422: "提交的内容不完整或有误。",
    503: "服务暂时不可用，请稍后重试。",
}


def problem_page(request: Request, problem: Problem, person=None) -> HTMLResponse:
    response = page(
        request,
        "error.html",
        {"problem": problem, "summary": PROBLEM_TEXT.get(problem.status, "请求未能完成。"), "detail": problem_zh(problem, "")},
        status_code=problem.status,
        person=person,
    )
    response.headers.update(problem.headers)
    return response
