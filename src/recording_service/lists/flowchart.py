"""行政执法流程图: a procedure of the catalog drawn as SVG from the very data the stage rules enforce
(stages, required documents, audio-visual and officer rules, time limits), so the published picture and
the enforced procedure cannot disagree. Text is left to the browser's fonts; no script, no external file."""

from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ..catalog.schemas import AmountLimit, AvRule, Catalog, Condition, Procedure, Stage, TimeLimitRule

WIDTH = 780
BOX_X, BOX_W = 70, 400
NOTE_X, NOTE_W = 500, 260
PAD, LINE, GAP = 10, 19, 38
TITLE_SIZE, TEXT_SIZE, NOTE_SIZE = 15, 13, 12
FONTS = "'WenQuanYi Micro Hei','Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif"

# How a case's stage statuses colour the boxes (fill, stroke, label).
STATE_STYLES: dict[str | None, tuple[str, str, str]] = {
    "closed": ("#e8f5e9", "#2e7d32", "已完成"),
    "open": ("#e3f2fd", "#1565c0", "进行中"),
    "skipped": ("#f2f2f2", "#9e9e9e", "已跳过"),
}
PLAIN = ("#ffffff", "#455a64", "")


def text_width(text: str, size: float) -> float:
    return sum(size if ord(ch) > 0x2E7F else size * 0.56 for ch in text)


def wrap(text: str, width: float, size: float) -> list[str]:
    """Break a line to fit `width` pixels; CJK text breaks anywhere, but not before closing punctuation."""
    lines, current = [], ""
    for ch in text:
        if current and text_width(current + ch, size) > width and ch not in "，。、；：）》」”,.;:)":
            lines.append(current)
            current = ""
        current += ch
    return [*lines, current] if current else lines


def condition_text(condition: Condition) -> str:
    if condition.label_zh:
        return condition.label_zh
    values = condition.in_ if condition.in_ is not None else [condition.equals]
    return f"{condition.attribute} 为 {'、'.join(str(v) for v in values)} 时"


def stage_lines(stage: Stage, catalog: Catalog) -> list[str]:
    def names(codes: list[str]) -> str:
        return "或".join((document.name_zh if (document := catalog.document_type(code)) else code) for code in codes)

    lines = []
    for requirement in stage.documents:
        when = f"（{condition_text(requirement.when)}）" if requirement.when else ""
        lines.append(f"文书：{names(requirement.one_of)}{when}")
    if stage.optional_documents:
        lines.append(f"可附：{'、'.join(names([code]) for code in stage.optional_documents)}")
    if stage.av.rule is AvRule.required:
        lines.append("音像记录：必须")
    elif stage.av.rule is AvRule.whole_process:
        lines.append("音像记录：全程不间断，中断须说明理由")
    elif stage.av.rule is AvRule.conditional:
        assert stage.av.when is not None  # the catalog gives `when` exactly for a conditional rule
        lines.append(f"音像记录：{condition_text(stage.av.when)}必须")
    if stage.officers.min:
        when = f"（{condition_text(stage.officers.when)}）" if stage.officers.when else ""
        lines.append(f"执法人员：不少于{stage.officers.min}名持证人员{when}")
    return lines


def stage_notes(procedure: Procedure, stage: Stage, catalog: Catalog) -> list[str]:
    """The time limits and amount limits the service checks at this stage."""
    notes = []
    rules: list[TimeLimitRule | AmountLimit] = [*catalog.time_limits, *catalog.amount_limits]
    for rule in rules:
        if rule.stage == stage.code and procedure.code in rule.procedures:
            notes.append(f"{rule.name_zh}（{rule.basis}）")
    return notes


@dataclass
class _Row:
    stage: Stage
    title: str
    lines: list[str]
    notes: list[list[str]]
    top: float = 0
    height: float = 0
    extra: dict[str, float] = field(default_factory=dict)


def agency_lines(agency: dict[str, Any] | None) -> list[str]:
    """The footer of an agency's flowchart: who handles it, where, when, and 救济渠道 (lists.service.agency_guide)."""
    if not agency:
        return []
    lines = [f"办理机关：{agency['name_zh']}"]
    for key, label in (("address", "地址"), ("phone", "电话"), ("office_hours", "办公时间"), ("remedy_zh", "救济渠道")):
        if agency.get(key):
            lines.append(f"{label}：{agency[key]}")
    return [part for line in lines for part in wrap(line, WIDTH - 2 * BOX_X, TEXT_SIZE)]


def render(
    procedure: Procedure,
    catalog: Catalog,
    states: dict[str, str] | None = None,
    *,
    standalone: bool = True,
    agency: dict[str, Any] | None = None,
) -> str:
    """The flowchart as an SVG document (`standalone`) or as an element to place in a page. `states` maps
    stage codes to a case's stage statuses (closed, open, skipped) to show where the case stands; `agency`
    (lists.service.agency_guide) adds who handles the procedure and where to seek redress."""
    rows = []
    for stage in procedure.stages:
        title = f"{stage.order}. {stage.name_zh}" + ("（可选）" if stage.optional else "")
        lines = [part for line in stage_lines(stage, catalog) for part in wrap(line, BOX_W - 2 * PAD, TEXT_SIZE)]
        notes = [wrap("时限 · " + note, NOTE_W - 2 * PAD, NOTE_SIZE) for note in stage_notes(procedure, stage, catalog)]
        rows.append(_Row(stage, title, lines, notes))

    header = 64 if states else 48
    y = header + 44  # below the title and the start node
    for row in rows:
        box = 2 * PAD + TITLE_SIZE + 6 + LINE * len(row.lines)
        note = sum(2 * PAD + (NOTE_SIZE + 5) * len(lines) + 6 for lines in row.notes)
        row.top, row.height = y, box
        row.extra["note_height"] = note
        y += max(box, note) + GAP
    end_y = y
    footer = agency_lines(agency)
    height = end_y + 40 + (LINE * len(footer) + 2 * PAD + 10 if footer else 0)

    out = []
    if standalone:
        out.append('<?xml version="1.0" encoding="UTF-8"?>\n')
    label = f"{procedure.name_zh}流程图"
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'role="img" aria-label={quoteattr(label)} class="flowchart" data-procedure={quoteattr(procedure.code)}>'
    )
    out.append(f"<title>{escape(label)}</title>")
    out.append(
        '<defs><marker id="fc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#455a64"/></marker></defs>'
    )
    out.append(f'<g font-family="{FONTS}" fill="#1f2933">')
    out.append(f'<text x="{WIDTH / 2}" y="28" font-size="18" font-weight="bold" text-anchor="middle">{escape(label)}</text>')
    if states:
        legend_x = 150
        for shown in ("closed", "open", "skipped"):
            fill, stroke, name = STATE_STYLES[shown]
            out.append(
                f'<rect x="{legend_x}" y="42" width="14" height="14" fill="{fill}" stroke="{stroke}"/>'
                f'<text x="{legend_x + 20}" y="54" font-size="12">{name}</text>'
            )
            legend_x += 90
        out.append(
            f'<rect x="{legend_x}" y="42" width="14" height="14" fill="#ffffff" stroke="#455a64"/>'
            f'<text x="{legend_x + 20}" y="54" font-size="12">未开始</text>'
        )
    centre = BOX_X + BOX_W / 2
    out.append(_terminal(centre, header + 14, "开始"))
    out.append(_arrow(centre, header + 28, centre, rows[0].top))
    for index, row in enumerate(rows):
        status = (states or {}).get(row.stage.code)
        fill, stroke, state_name = STATE_STYLES.get(status, PLAIN)
        dash = ' stroke-dasharray="6 4"' if row.stage.optional else ""
        out.append(
            f'<g class="stage" data-stage={quoteattr(row.stage.code)}' + (f" data-status={quoteattr(status)}" if status else "") + ">"
        )
        out.append(
            f'<rect x="{BOX_X}" y="{row.top:.0f}" width="{BOX_W}" height="{row.height:.0f}" rx="6" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{2.5 if status == "open" else 1.5}"{dash}/>'
        )
        out.append(
            f'<text x="{BOX_X + PAD}" y="{row.top + PAD + TITLE_SIZE:.0f}" font-size="{TITLE_SIZE}" font-weight="bold">{escape(row.title)}</text>'
        )
        if state_name:
            out.append(
                f'<text x="{BOX_X + BOX_W - PAD}" y="{row.top + PAD + TITLE_SIZE:.0f}" font-size="12" text-anchor="end" '
                f'fill="{stroke}">{state_name}</text>'
            )
        for n, line in enumerate(row.lines):
            out.append(
                f'<text x="{BOX_X + PAD}" y="{row.top + PAD + TITLE_SIZE + 6 + LINE * (n + 1) - 4:.0f}" font-size="{TEXT_SIZE}">{escape(line)}</text>'
            )
        out.append("</g>")
        note_y = row.top
        for lines in row.notes:
            box = 2 * PAD + (NOTE_SIZE + 5) * len(lines)
            out.append(f'<rect x="{NOTE_X}" y="{note_y:.0f}" width="{NOTE_W}" height="{box:.0f}" rx="4" fill="#fff8e1" stroke="#f9a825"/>')
            for n, line in enumerate(lines):
                out.append(
                    f'<text x="{NOTE_X + PAD}" y="{note_y + PAD + (NOTE_SIZE + 5) * (n + 1) - 4:.0f}" font-size="{NOTE_SIZE}">{escape(line)}</text>'
                )
            out.append(
                f'<line x1="{BOX_X + BOX_W}" y1="{row.top + 16:.0f}" x2="{NOTE_X}" y2="{note_y + 16:.0f}" stroke="#f9a825" stroke-dasharray="3 3"/>'
            )
            note_y += box + 6
        bottom = row.top + row.height
        next_top = rows[index + 1].top if index + 1 < len(rows) else end_y
        out.append(_arrow(centre, bottom, centre, next_top))
        if row.stage.optional:  # the way past a stage that does not always happen
            before = rows[index - 1].top + rows[index - 1].height / 2 if index else header + 14
            after = next_top + (rows[index + 1].height / 2 if index + 1 < len(rows) else 14)
            lane = 36 if index % 2 else 24
            out.append(
                f'<path d="M{BOX_X},{before:.0f} H{lane} V{after:.0f} H{BOX_X - 2}" fill="none" stroke="#78909c" '
                f'stroke-dasharray="5 4" marker-end="url(#fc-arrow)"/>'
            )
            out.append(
                f'<text x="{lane - 4}" y="{(row.top + bottom) / 2:.0f}" font-size="11" fill="#546e7a" '
                f'transform="rotate(-90 {lane - 4} {(row.top + bottom) / 2:.0f})" text-anchor="middle">不适用时跳过</text>'
            )
    out.append(_terminal(centre, end_y + 14, "结束"))
    if footer:
        top = end_y + 40
        out.append(
            f'<g class="agency"><rect x="{BOX_X - PAD}" y="{top:.0f}" width="{WIDTH - 2 * BOX_X + 2 * PAD}" '
            f'height="{LINE * len(footer) + 2 * PAD:.0f}" rx="4" fill="#f5f7fa" stroke="#b0bec5"/>'
        )
        for n, line in enumerate(footer):
            out.append(f'<text x="{BOX_X}" y="{top + PAD + LINE * (n + 1) - 4:.0f}" font-size="{TEXT_SIZE}">{escape(line)}</text>')
        out.append("</g>")
    out.append("</g></svg>")
    return "".join(out)


def _terminal(cx: float, cy: float, label: str) -> str:
    return (
        f'<ellipse cx="{cx}" cy="{cy:.0f}" rx="46" ry="14" fill="#eceff1" stroke="#455a64"/>'
        f'<text x="{cx}" y="{cy + 5:.0f}" font-size="13" text-anchor="middle">{label}</text>'
    )


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line x1="{x1}" y1="{y1:.0f}" x2="{x2}" y2="{y2 - 2:.0f}" stroke="#455a64" stroke-width="1.5" marker-end="url(#fc-arrow)"/>'
