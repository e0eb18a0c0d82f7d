"""Numbered pages for the public lists: 共N条, 第p/P页, 上一页 · 1 2 3 … · 下一页, each link the same query with
another `page` (and without a cursor an older link carried)."""

import math
from urllib.parse import urlencode

from fastapi import Request

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
