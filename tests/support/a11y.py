"""Accessibility in the browser: axe-core run in the page, the page's width against the viewport, keyboard focus.

axe-core is the npm package pinned in tests/axe/package.json (+ package-lock.json); `make test` installs it with
`npm ci` (Deque's own engine, the one every axe wrapper bundles, at the version we pin)."""

from functools import cache
from pathlib import Path

from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parents[1] / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
EVERY = ("minor", "moderate", "serious", "critical")
PHONES = (320, 390)  # the narrowest phones still sold, and the common one


@cache
def axe_source() -> str:
    assert AXE_JS.exists(), f"{AXE_JS} is missing: `make test` installs it (cd tests/axe && npm ci)"
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: Page, impacts: tuple[str, ...] = SERIOUS) -> list[dict]:
    """axe-core's violations of the page as it stands (WCAG 2.x A and AA and best practices), of these impacts:
    [{"id", "impact", "help", "nodes": [target, ...]}]. The pages' CSP forbids inline scripts; Playwright's
    evaluate speaks to the page through the DevTools protocol, which the CSP does not govern."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ") + " — " + (n.failureSummary || "").split("\\n").slice(1, 2).join(""))}));
        }"""
    )
    return [v for v in found if v["impact"] in impacts]


def overflow(page: Page) -> dict | None:
    """None when the page fits its viewport's width (no horizontal scrolling of the page itself); else the page's
    width and the elements that stick out furthest, to say what to fix."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.scrollWidth, view = window.innerWidth;
            if (width <= view) return null;
            const out = [];
            for (const el of document.body.querySelectorAll("*")) {
                const box = el.getBoundingClientRect();
                if (box.right > view + 1 && box.width > 0) {
                    let inside = false;  // within a box that scrolls on its own
                    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
                        const s = getComputedStyle(p).overflowX;
                        if (s === "auto" || s === "scroll" || s === "hidden") { inside = true; break; }
                    }
                    if (!inside) out.push([Math.round(box.right), el.tagName.toLowerCase() +
                        (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().replace(/\\s+/g, ".") : "")]);
                }
            }
            out.sort((a, b) => b[0] - a[0]);
            return {scrollWidth: width, innerWidth: view, widest: out.slice(0, 6)};
        }"""
    )


def focused(page: Page) -> dict:
    """The element holding the keyboard focus and whether it shows it: an outline or a ring (box-shadow)."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return {tag: null};
            const s = getComputedStyle(el);
            const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
            return {tag: el.tagName.toLowerCase(), name: el.getAttribute("name"), id: el.id, text: (el.innerText || el.value || "").trim().slice(0, 40),
                    href: el.getAttribute("href"), focusVisible: el.matches(":focus-visible"), shown: outline || s.boxShadow !== "none"};
        }"""
    )


def tab_to(page: Page, matches, limit: int = 80) -> dict:
    """Press Tab from the top of the page until the focused element satisfies `matches`; what has the focus then."""
    page.locator("body").evaluate("b => { b.setAttribute('tabindex', '-1'); b.focus(); b.removeAttribute('tabindex'); }")
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["tag"] and matches(now):
            return now
    raise AssertionError(f"Tab did not reach the control in {limit} presses; last: {focused(page)}")
