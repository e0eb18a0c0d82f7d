"""Numbered pages for the public lists: 共N条, 第p/P页, 上一页 · 1 2 3 … · 下一页, each link the same query with
another `page` (and without a cursor an older link carried)."""

import math
from urllib.parse import urlencode

from fastapi import Depends, Request, params

from ..core.problems import Problem

MAX_PAGE = 100_000


def pager(request: Request, total: int, page: int, limit: int) -> dict:
    """What templates/_pager.html draws."""
    pages = max(1, math.ceil(total / limit))
    kept = [(key, value) for key, value in request.query_params.multi_items() if key not in ("page", "cursor")]

    def url(number: int) -> str:
        query = kept + ([("page", str(number))] if number > 1 else [])
        return request.url.path + ("?" + urlencode(query) if query else "")

    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)  # a gap: …
        numbers.append(number)
    return {
        "total": total,
        "page": page,
        "pages": pages,
        "previous": url(page - 1) if page > 1 else None,
        "next": url(page + 1) if page < pages else None,
        "numbers": [(n, url(n) if n else None) for n in numbers],
        "offset": (page - 1) * limit,
    }


def only(*names: str) -> params.Depends:
    """A page's dependency refusing a query parameter it does not know (a typo, a made-up filter) with a 400 page,
    never ignoring it silently."""
    known = frozenset(names)

    def only_these(request: Request) -> None:
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise Problem(
                400,
                "unknown-parameter",
                f"Unknown query parameter(s): {', '.join(unknown)[:200]}.",
                detail_zh=f"不认识的查询条件：{'、'.join(unknown)[:200]}。",
            )

    dependency: params.Depends = Depends(only_these)
    return dependency
