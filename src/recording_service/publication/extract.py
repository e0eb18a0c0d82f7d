"""A draft's fields where the case records no fact for them: read from the case's facts (penalties and
amounts) or, as a first suggestion the publisher edits, from the decision's own text (违法事实, 处罚依据,
法定代表人). Pure: nothing here is stored unless a draft keeps it."""

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..catalog.schemas import Catalog

_NUMERAL = r"[零〇一二三四五六七八九十百千\d]+"
_PROVISION = rf"第{_NUMERAL}条(?:第{_NUMERAL}款)?(?:第{_NUMERAL}项)?"
# 依据《…》第…条（第…款、第…项），可连写多部法规
BASIS = re.compile(rf"(?:依据|根据|依照|按照)((?:《[^》\n]{{2,60}}》(?:{_PROVISION}(?:[、和及]{_PROVISION})*)?[、，,和及]?)+)")
# 违法事实 end where the decision turns to evidence or the law: 以上事实…, 上述行为…, or a sentence opening with 依据/违反.
FACTS = re.compile(
    r"(?:经查|经调查|现查明|查明)[，,：:]?\s*(.+?)(?=以上事实|上述事实|上述行为|你(?:单位|公司|院|所)?的(?:上述)?行为|"
    r"该行为|以上行为|(?<=。)\s*(?:依据|根据|依照|按照|违反|你(?:单位)?违反)|$)",
    re.S,
)
LEGAL_REPRESENTATIVE = re.compile(
    r"(?:法定代表人|负责人|主要负责人)(?:（负责人）|\(负责人\)|或负责人|/负责人)?[:：\s]*"
    r"([\u4e00-\u9fa5][\u4e00-\u9fa5·]{1,4}?)(?=[，,。；;\s（(、]|职务|性别|$)"
)
FACTS_MAX = 2000


def _yuan(value: str | None) -> str | None:
    if not value:
        return None
    amount = Decimal(value)
    return f"{amount:,.0f}" if amount == amount.to_integral() else f"{amount:,.2f}"


def penalty_category(catalog: Catalog, facts: Mapping[str, Any]) -> str | None:
    """处罚类别: the names of the penalties the case records, as the decision lists them."""
    names = {kind.code: kind.name_zh for kind in catalog.statistics.penalty_kinds}
    codes = facts.get("penalties") or (["fine"] if facts.get("fine_yuan") else [])
    return "、".join(names.get(code, code) for code in codes) or None


def penalty_content(catalog: Catalog, facts: Mapping[str, Any]) -> str | None:
    """处罚内容 as published: 警告；没收违法所得 5,000 元；罚款 30,000 元 — each penalty with its amount."""
    names = {kind.code: kind.name_zh for kind in catalog.statistics.penalty_kinds}
    codes = list(facts.get("penalties") or [])
    if not codes:
        codes = [code for code, amount in (("confiscation_gains", "confiscated_yuan"), ("fine", "fine_yuan")) if facts.get(amount)]
    parts = []
    for code in codes:
        amount = (
            _yuan(facts.get("fine_yuan"))
            if code == "fine"
            else _yuan(facts.get("confiscated_yuan"))
            if code == "confiscation_gains"
            else None
        )
        parts.append(f"{names.get(code, code)} {amount} 元" if amount else names.get(code, code))
    return "；".join(parts) or None


def basis_in(text: str) -> str | None:
    """处罚依据: the provisions after 依据/根据 nearest the decision itself (the violated rule usually comes first, after
    违反; the penalty's basis just before 决定/给予/处以)."""
    found = [m for m in BASIS.finditer(text) if "第" in m.group(1)]
    if not found:
        return None
    deciding = [m for m in found if re.search(r"决定|给予|处以|作出|责令|没收|罚款", text[m.end() : m.end() + 40])]
    return (deciding or found)[-1].group(1).rstrip("、，,和及")


def facts_in(text: str) -> str | None:
    """违法事实: what follows 经查 up to where the decision turns to the law (以上事实 / 上述行为 …)."""
    match = FACTS.search(text)
    if match is None:
        return None
    facts = re.sub(r"\s*\n\s*", "", match.group(1)).strip(" ，,。")
    if len(facts) < 6:
        return None
    return (facts[: FACTS_MAX - 1] + "…" if len(facts) > FACTS_MAX else facts) + "。"


def legal_representative_in(text: str) -> str | None:
    match = LEGAL_REPRESENTATIVE.search(text)
    return match.group(1) if match else None
