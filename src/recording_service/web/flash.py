"""Messages for the next page ("flash"): set with the redirect after a form, shown once by the page it
leads to.

A message in the link (`?error=…`) let anyone craft a URL that shows any text as the service's own
banner. A flash travels instead in a short-lived cookie the service signs (HMAC with a key derived from
its signing key), bound to the person's session (their CSRF secret) and to the page it is for; the
page that shows it deletes it. A forged, foreign, stale or misdirected flash is never shown.
"""

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from ..core.deps import get_secrets
from .session import secure_cookies, set_cookie

FLASH_COOKIE = "rs_flash"
FLASH_SECONDS = 120
MESSAGE_KEYS = frozenset({"error", "notice", "saved"})


def _key(request: Request) -> bytes:
    return get_secrets(request).flash_messages


def _mac(request: Request, session_secret: str, payload: str) -> str:
    return hmac.new(_key(request), f"flash:v1:{session_secret}:{payload}".encode(), hashlib.sha256).hexdigest()


def redirect_with_flash(request: Request, person, url: str, **message: str | int) -> RedirectResponse:
    """A 303 to `url` whose page shows `message` (keys: error, notice, saved) once."""
    assert set(message) <= MESSAGE_KEYS, message
    body = {"path": urlsplit(url).path, "until": int(time.time()) + FLASH_SECONDS, "message": message}
    payload = base64.urlsafe_b64encode(json.dumps(body, ensure_ascii=False).encode()).decode().rstrip("=")
    response = RedirectResponse(url, status_code=303)
    settings = request.app.state.settings
    set_cookie(
        response,
        request,
        settings.cookie_secure,
        FLASH_COOKIE,
        f"{payload}.{_mac(request, person.csrf_token, payload)}",
        max_age=FLASH_SECONDS,
    )
    return response


def take_flash(request: Request, person) -> tuple[dict, bool]:
    """The flash meant for this page and this person (or {}), and whether the cookie is to be deleted."""
    value = request.cookies.get(FLASH_COOKIE)
    if not value:
        return {}, False
    if person is None or not hasattr(person, "csrf_token") or len(value) > 4096 or "." not in value:
        return {}, True
    payload, _, mac = value.rpartition(".")
    if not hmac.compare_digest(_mac(request, person.csrf_token, payload), mac):
        return {}, True
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        path, until, message = body["path"], int(body["until"]), body["message"]
    except (ValueError, TypeError, KeyError):
        return {}, True
    if until < time.time():
        return {}, True
    if path != request.url.path:
        return {}, False  # for another page (the redirect has not been followed yet)
    return {k: v for k, v in message.items() if k in MESSAGE_KEYS}, True


def forget_flash(response: Response, request: Request) -> None:
    response.delete_cookie(
        FLASH_COOKIE, path="/", httponly=True, samesite="strict", secure=secure_cookies(request, request.app.state.settings.cookie_secure)
    )
