"""适老化: the large-text, high-contrast reading of every page, chosen by a button on each page and kept in a
cookie. The button is a plain form (it works without JavaScript: the service sets the cookie and sends the reader
back); app.js, where it runs, flips the page at once instead. The pages read the cookie when they are drawn
(`render.page` puts `large_text` in every page's context and answers `Vary: Cookie`)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from ..core.query import only
from .render import DISPLAY_COOKIE, LARGE
from .session import secure_cookies

YEAR = 365 * 24 * 3600


router = APIRouter(include_in_schema=False)


def back_to(target: str | None) -> str:
    """A path on this site to return to (never another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or any(c in target for c in "\\\r\n"):
        return "/public/publications"
    return target


@router.get("/display", dependencies=[only("large", "next")])
async def display(
    request: Request,
    large: Annotated[int, Query(ge=0, le=1)] = 1,
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> RedirectResponse:
    """Turn the 适老化 reading on (large=1) or off (large=0) and go back to the page."""
    response = RedirectResponse(back_to(next), status_code=303)
    secure = secure_cookies(request, request.app.state.settings.cookie_secure)
    if large:
        # Read by app.js too (no HttpOnly): it says nothing about the person, only how the pages are drawn.
        response.set_cookie(DISPLAY_COOKIE, LARGE, max_age=YEAR, path="/", samesite="lax", secure=secure)
    else:
        response.delete_cookie(DISPLAY_COOKIE, path="/", samesite="lax", secure=secure)
    response.headers["Cache-Control"] = "no-store"
    return response
