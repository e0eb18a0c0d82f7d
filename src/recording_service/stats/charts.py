"""Charts drawn on the server as SVG (no script, no CDN; text in the reader's fonts): horizontal bars with
their values written beside them, so a printed page reads without colour."""

from xml.sax.saxutils import escape, quoteattr

from ..lists.flowchart import FONTS, text_width

BAR, GAP, LABEL_W, VALUE_W, WIDTH = 20, 8, 190, 90, 640


def _shorten(label: str, width: float, size: float) -> str:
    if text_width(label, size) <= width:
        return label
    while label and text_width(label + "…", size) > width:
        label = label[:-1]
    return label + "…"


def bar_chart(title: str, items: list[tuple[str, float | None]], *, percent: bool = False, limit: int = 15) -> str:
    """Bars for (label, value); values None are shown as —. At most `limit` bars (the rest summed as 其他)."""
    shown = list(items[:limit])
    if len(items) > limit:
        shown.append((f"其他 {len(items) - limit} 项", sum(v or 0 for _, v in items[limit:])))
    height = max(60, 34 + len(shown) * (BAR + GAP) + 8)
    top = max((v for _, v in shown if v is not None), default=0) or 1
    if percent:
        top = max(top, 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label={quoteattr(title)}><title>{escape(title)}</title><g font-family="{FONTS}" font-size="12" fill="#1f2933">',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    if not shown:
        out.append('<text x="0" y="44" fill="#5b6775">本期无数据</text>')
    span = WIDTH - LABEL_W - VALUE_W
    for index, (label, value) in enumerate(shown):
        y = 30 + index * (BAR + GAP)
        out.append(f'<text x="{LABEL_W - 8}" y="{y + 14}" text-anchor="end">{escape(_shorten(str(label), LABEL_W - 12, 12))}</text>')
        length = 0 if value is None else max(1.0, span * value / top) if value else 0
        out.append(f'<rect x="{LABEL_W}" y="{y}" width="{length:.1f}" height="{BAR}" fill="#1f5fae" rx="2"/>')
        shown_value = (
            "—"
            if value is None
            else f"{value * 100:.1f}%"
            if percent
            else (f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}")
        )
        out.append(f'<text x="{LABEL_W + length + 6:.1f}" y="{y + 14}">{shown_value}</text>')
    out.append("</g></svg>")
    return "".join(out)
