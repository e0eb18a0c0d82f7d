"""An independent corpus of decision texts (行政处罚决定书, 当场处罚, 许可, 查封扣押, 卫生监督意见书…)
with the exact character spans that a redaction must mask (`remove`) and must leave alone (`keep`).

`build()` is deterministic: document i is drawn from its own seeded generator, so adding a template
changes the documents that use it and no others. `score.py` measures a redaction against it.

What a span covers:
- a remove span is the datum itself, without its label: the number after 身份证号码：, the whole
  phone number with +86 or its area code, the whole plate (皖F·12345), the whole home address,
  the disease words after 诊断为, every occurrence of a third party's name (张某某 included);
- a natural-person party's own name, an organisation's legal representative, the officers and the
  agency's contact person are keeps; so are an organisation's registered address and the agency's
  own address and phone, however they are written (a bare 6012345 after 联系电话 included);
- in a PDF copy a line break may fall inside any span; it is part of the span.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .case import Case
from .documents import FAMILIES
from .marks import Span, assemble, keep, reflow

REMOVE_KINDS = ("id_number", "passport", "phone", "bank_account", "email", "wechat", "qq", "plate", "social_security",
                "medical_record", "health", "address", "name")
KEEP_KINDS = ("doc_number", "statute", "money", "date", "uscc", "license_number", "certificate_number", "batch_number",
              "org_address", "party_name", "officer_name", "legal_rep", "agency_phone", "agency_address", "plain")

DOCUMENTS = 360
SEED = "redaction-corpus-1"
PDF_SHARE = 0.22  # documents copied out of a PDF: every line broken at about 30 characters


@dataclass
class Doc:
    text: str
    subjects: dict
    remove: list[Span] = field(default_factory=list)
    keep: list[Span] = field(default_factory=list)
    style: str = ""


def make_doc(index: int) -> Doc:
    rng = random.Random(f"{SEED}/{index}")
    case = Case.draw(rng)
    family = FAMILIES[index % len(FAMILIES)]
    pieces, style = family(case)
    text, removes, keeps = assemble(pieces)
    text = text.rstrip("\n") + "\n"
    if rng.random() < PDF_SHARE:
        pieces = [pieces, "\n", keep("plain", rng.choice(("第1页 共1页", "第 1 页 / 共 1 页", "- 1 -")))]
        text, removes, keeps = assemble(pieces)
        widths = iter(lambda: rng.randint(27, 33), None)
        text, removes, keeps = reflow(text, removes, keeps, widths)
        style += "/pdf"
    return Doc(text=text, subjects=case.subjects(), remove=removes, keep=keeps, style=style)


def build(count: int = DOCUMENTS) -> list[Doc]:
    return [make_doc(i) for i in range(count)]


__all__ = ["Doc", "build", "make_doc", "REMOVE_KINDS", "KEEP_KINDS"]
