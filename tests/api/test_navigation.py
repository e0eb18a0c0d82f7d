"""The menu shows each person only the pages their role may open: every link a role sees answers 200 for it,
every menu page it does not see refuses it (403); no link on the pages it reaches from the menu is refused."""

import re
import uuid
from urllib.parse import urljoin, urlsplit

import pytest

from ..support.cases import decided_case
from ..support.inprocess import create_person, signed_in_client

AGENCY = "NAV1"
MENU = (
    "/cases",
    "/officers",
    "/window-staff",
    "/publications",
    "/complaints",
    "/inspections",
    "/devices",
    "/unlinked",
    "/stats",
    "/audit",
    "/agencies",
)
HREF = re.compile(r'href="([^"]+)"')


def menu_links(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="主菜单">(.*?)</nav>', html, re.S)
    assert nav, html[:500]
    return HREF.findall(nav.group(1))


def page_links(html: str, base: str) -> set[str]:
    found = set()
    for href in HREF.findall(html):
        href = href.replace("&amp;", "&")
        url = urlsplit(urljoin(base, href))
        if url.netloc not in ("", "127.0.0.1") or not url.path.startswith("/") or url.path.startswith("/static/"):
            continue
        found.add(url.path + (f"?{url.query}" if url.query else ""))
    return found


@pytest.mark.parametrize(
    "role, agency, expected",
    [
        ("reviewer", AGENCY, ["/cases", "/officers", "/unlinked", "/stats"]),
        (
            "auditor",
            AGENCY,
            [
                "/cases",
                "/officers",
                "/window-staff",
                "/publications",
                "/complaints",
                "/inspections",
                "/devices",
                "/unlinked",
                "/stats",
                "/audit",
            ],
        ),
        ("admin", AGENCY, list(MENU)),
        ("admin", "*", list(MENU)),
    ],
)
def test_every_menu_link_a_role_sees_opens_and_no_other(inproc, role, agency, expected):
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        case = decided_case(http, filed="2026-05-04", decided="2026-08-10")
    username = f"{role}{uuid.uuid4().hex[:6]}"
    create_person(inproc, username, role, agency, "菜单检查")
    with signed_in_client(inproc, username) as browser:
        seen = menu_links(browser.get("/cases").text)
        assert seen == expected
        reached = set()
        for path in MENU:
            answer = browser.get(path)
            assert answer.status_code == (200 if path in seen else 403), (role, path, answer.status_code)
            if answer.status_code == 200:
                assert menu_links(answer.text) == expected  # the same menu on every page
                reached |= page_links(answer.text, path)
        if agency == AGENCY:
            case_page = browser.get(f"/cases/{case.id}")
            assert case_page.status_code == 200
            reached |= page_links(case_page.text, f"/cases/{case.id}")
        # One step further: nothing a page shows this role is refused to it.
        refused = {link: code for link in sorted(reached) if (code := browser.get(link).status_code) in (401, 403)}
        assert refused == {}, refused
