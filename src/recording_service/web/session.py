"""People's sessions in the pages: the session cookie, who it belongs to, and CSRF checks on forms."""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from ..agencies.service import get_agency
from ..auth.models import WebSession
from ..auth.people import SessionPolicy, session_of
from ..core.db import DbSession
from ..core.deps import SettingsDep
from ..core.principals import Principal, Role
from ..core.problems import Problem

SESSION_COOKIE = "rs_session"
LOGIN_CSRF_COOKIE = "rs_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SignInNeeded(Exception):
    """A page asked for without a live session: answered with a redirect to /login (see the handler in web)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    browser: WebSession
    agency_name: str | None = None  # the agency's full name from its profile (None: no profile yet)
    # Read once: a form handler that rolled back (its change refused) still answers with the token, and
    # the expired row must not be reloaded then.
    session_csrf: str | None = None

    @property
    def csrf_token(self) -> str:
        return self.session_csrf if self.session_csrf is not None else self.browser.csrf_token


def secure_cookies(request: Request, cookie_secure: bool | None) -> bool:
    return cookie_secure if cookie_secure is not None else request.url.scheme == "https"


def set_cookie(response: Response, request: Request, cookie_secure: bool | None, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="strict", secure=secure_cookies(request, cookie_secure)
    )


async def current_person(request: Request, session: DbSession, settings: SettingsDep) -> SignedIn | None:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret or len(secret) > 200:
        return None
    found = await session_of(session, SessionPolicy.of(settings), secret)
    if found is None:
        return None
    principal, browser = found
    request.state.principal = principal
    profile = await get_agency(session, principal.agency)  # the header names the person's agency
    request.state.agency_name = profile.name_zh if profile else None  # error pages' header too
    return SignedIn(principal, browser, request.state.agency_name, browser.csrf_token)


async def signed_in(request: Request, person: Annotated[SignedIn | None, Depends(current_person)]) -> SignedIn:
    if person is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(target)
    return person


Person = Annotated[SignedIn, Depends(signed_in)]
MaybePerson = Annotated[SignedIn | None, Depends(current_person)]


def require_page_roles(*roles: Role):
    allowed = frozenset(roles)

    async def check(person: Person) -> SignedIn:
        if person.principal.role not in allowed:
            raise Problem(403, "forbidden-role", "您的角色无权进行此操作。")
        return person

    return Depends(check)


async def csrf_checked(request: Request, person: Person) -> SignedIn:
    """A form post (or a page's fetch) carries the session's CSRF token in a field or a header."""
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        supplied = (await request.form()).get(CSRF_FIELD)
    if not isinstance(supplied, str) or not hmac.compare_digest(supplied.encode(), person.csrf_token.encode()):
        raise Problem(403, "csrf-failed", "表单已失效或来源不明（安全校验未通过），请刷新页面后重试。")
    return person


FormPerson = Annotated[SignedIn, Depends(csrf_checked)]


async def browser_principal(request: Request, session: AsyncSession) -> Principal | None:
    """A person's browser on the API's tus endpoint (the pages' upload form): the session cookie, the session's
    CSRF token in the X-CSRF-Token header (a page of this site reads it from its <meta>; another site can neither
    read it nor, the cookie being SameSite=Strict, send the cookie) and, when the browser names it, this site as
    the Origin. None without a session cookie (the caller then asks for a bearer token)."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret or len(secret) > 200:
        return None
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
        raise Problem(
            403,
            "cross-origin",
            "Uploads with a session cookie are taken from this site's own pages only.",
            detail_zh="只接受本系统页面发起的上传。",
        )
    found = await session_of(session, SessionPolicy.of(request.app.state.settings), secret)
    if found is None:
        raise Problem(
            401,
            "session-ended",
            "The session has ended; sign in again to continue the upload.",
            detail_zh="登录已失效，请重新登录后继续上传（已上传的部分会保留）。",
        )
    principal, browser = found
    supplied = request.headers.get(CSRF_HEADER)
    if not supplied or not hmac.compare_digest(supplied.encode(), browser.csrf_token.encode()):
        raise Problem(
            403,
            "csrf-failed",
            "A session-cookie upload needs the session's X-CSRF-Token header.",
            detail_zh="安全校验未通过，请刷新页面后重试。",
        )
    return principal


LOGIN_FORM_SECONDS = 3600  # a sign-in form is good for an hour, and for one post


def new_login_csrf(key: bytes) -> str:
    """The sign-in form's token: a nonce and the time it was issued, signed with the instances' shared key
    (so any instance accepts it); `login_form_nonce` checks it and the post claims its nonce once."""
    body = f"{secrets.token_urlsafe(18)}.{int(time.time())}"
    return f"{body}.{_form_signature(key, body)}"


def _form_signature(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]


def login_form_nonce(key: bytes, token: str) -> str | None:
    """The nonce of a sign-in form token this service issued within the last hour, else None."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isascii() or not parts[1].isdigit() or len(parts[1]) > 12:
        return None
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2].encode(), _form_signature(key, body).encode()):
        return None
    age = time.time() - int(parts[1])
    return parts[0] if -60 <= age <= LOGIN_FORM_SECONDS else None


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: only a path on this site (never another host: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target or "\r" in target:
        return "/cases"
    return target


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="")
