"""Query parameters a route does not know: refused, never silently ignored (plumbing: no domain knowledge).

A misspelt filter (`yaer=2026`, `include_invalids=true`) that was ignored would answer with every record, or without
the records asked for — a silent change of meaning. One refusal serves the API and the pages alike."""

from collections.abc import Iterable

from fastapi import Depends, Request, params

from .deps import on_the_loop
from .problems import Problem


def refuse_unknown(request: Request, known: Iterable[str]) -> None:
    """400 `unknown-parameter` naming what was not understood and what the route takes."""
    allowed = set(known)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        takes = f"; this takes {', '.join(sorted(allowed))}" if allowed else "; this takes none"
        raise Problem(
            400,
            "unknown-parameter",
            f"Unknown query parameter(s): {', '.join(unknown)[:200]}{takes[:400]}.",
            field=unknown[0],
            detail_zh=f"不认识的查询条件：{'、'.join(unknown)[:200]}。",
        )


def only(*names: str) -> params.Depends:
    """A route's dependency taking these query parameters and refusing any other."""
    known = frozenset(names)

    def only_these(request: Request) -> None:
        refuse_unknown(request, known)

    dependency: params.Depends = Depends(on_the_loop(only_these))
    return dependency
