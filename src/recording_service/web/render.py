"""Templates and the small formatting rules every page shares (local times, durations, short digests)."""

import math
from datetime import date, datetime
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from ..catalog.messages import label, name_of, names, problem_zh
from ..core.problems import Problem
from .flash import forget_flash, take_flash

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

# Status words and value names come from the message catalogue (catalog/data/messages.yaml).
ROLE_NAMES = names("role")
CASE_STATUS_NAMES = names("case_status")
STAGE_STATUS_NAMES = names("stage_status")
MEDIA_STATUS_NAMES = names("media_status")
DOC_STATUS_NAMES = names("document_status")
FIXITY_NAMES = names("fixity")
ACTION_NAMES = {
    "case.created": "立案登记",
    "case.updated": "更新案件事实",
    "case.limit_adjusted": "登记期限延长或中止",
    "case.limit_pause_ended": "中止期间结束",
    "case.exported": "导出案卷",
    "timeline.read": "查看案件记录",
    "media.content.read": "读取音像原件",
    "media.playback.granted": "播放音像",
    "hold.placed": "设置保全",
    "hold.lifted": "解除保全",
    "stage.opened": "开始环节",
    "stage.closed": "结束环节",
    "stage.noted": "环节备注",
    "stage.skipped": "跳过环节",
    "document.created": "登记文书",
    "document.version_added": "文书新版本",
    "binding.created": "关联音像",
    "binding.removed": "解除关联",
    "media.created": "音像入库",
    "media.sighting": "再次收到同一音像",
    "media.repaired": "修复音像对象",
    "media.described": "解析音像",
    "media.deleted": "按期限删除",
    "media.metadata_added": "补充元数据",
    "media.store_locked": "对象锁定",
    "media.store_legal_hold": "对象保全",
    "fixity.ok": "完整性校验：一致",
    "fixity.mismatch": "完整性校验：不一致",
    "fixity.missing": "完整性校验：对象缺失",
    "interruption.explained": "中断说明",
    "upload.completed": "上传完成",
    "user.signed_in": "登录",
    "user.signed_out": "退出",
    "user.sign_in_failed": "登录失败",
    "user.sign_in_throttled": "登录受限（需等待）",
    "user.locked": "账户锁定",
    "user.created": "创建用户",
    "user.disabled": "停用用户",
    "user.password_reset": "重置密码",
    "media.playback_copy_made": "生成播放副本",
    "officer.registered": "登记执法人员",
    "officer.updated": "变更执法人员",
    "officer.imported": "导入执法人员",
    "calendar.loaded": "载入节假日安排",
    "calendar.local_day_added": "添加地方节假日调整",
    "calendar.local_day_withdrawn": "撤回地方节假日调整",
    "publication.created": "起草公示",
    "publication.updated": "修改公示草稿",
    "publication.approved": "审核公示",
    "publication.notice_recorded": "记录公示告知",
    "publication.published": "发布公示",
    "publication.corrected": "更正公示",
    "publication.performance_recorded": "记录履行情况",
    "publication.annotated": "公示变更说明",
    "publication.revocation_recorded": "记录决定撤销",
    "publication.withdrawn": "撤回公示",
    "publication.expired": "公示期满",
    "agency.created": "登记本单位信息",
    "agency.updated": "变更本单位信息",
}


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
    action_name=lambda v: ACTION_NAMES.get(v, v),
    zh=lambda v, kind, default=None: name_of(kind, v, default),  # {{ media.flag | zh("media_flag") }}
    label=lambda field, form: label(form, field),
    actor=actor,
)


def page(request: Request, name: str, context: dict, status_code: int = 200, person=None) -> HTMLResponse:
    flash, consumed = take_flash(request, person)  # a message the previous form's redirect left for this page
    context = {"person": person, **context}
    for key, value in flash.items():
        if context.get(key) is None:
            context[key] = value
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
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
