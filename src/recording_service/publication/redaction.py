"""Removing personal data from a decision's text before it is published (行政执法公示).

Pure: text in, redacted text and a report out. What is removed (domain reference, *Publication*):
natural persons' identity numbers, phone numbers, home addresses, bank accounts and the names of persons
other than the penalised party; a legal person keeps its name and 统一社会信用代码 but not its bank
accounts; a 个体工商户 (code starting 92) is run by a natural person. Health terms are flagged for the
reviewer, who approves every redaction before anything is published.

Rules are written so that they do not leak:
- full-width digits and letters are folded first, one character for one, so offsets stay valid;
- numbers are bounded by digit look-arounds, never `\\b` (Python sees no boundary between 号 and 3);
- a wrong 身份证 check digit lowers the confidence, it never leaves the number in place;
- names come from the case (matched exactly), label patterns only as a fallback that is flagged.
"""

import re
import unicodedata
from dataclasses import asdict, dataclass, field

import phonenumbers
from stdnum.cn import ric

MASK = "＊"  # each removed character becomes one, so the layout of the text survives


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # id_number, phone, bank_account, address, name, health
    rule: str
    confidence: str  # high, medium, low
    removed: bool = True  # health terms are flagged, not removed
    needs_review: bool = False


@dataclass
class Subjects:
    """Who the text is about, from the case: the penalised party is named; everyone else is not."""

    party_name: str | None = None
    party_is_natural_person: bool = False
    # Names to remove wherever they appear: natural persons other than the party (witnesses, patients,
    # complainants, agents, the operator of a legal person is kept only when the party itself).
    other_names: list[str] = field(default_factory=list)


@dataclass
class Redaction:
    text: str
    spans: list[Span]

    def report(self, original: str) -> list[dict]:
        """What was removed or flagged, where, by which rule; the excerpt only for the staff's review."""
        return [{**asdict(s), "excerpt": original[s.start:s.end]} for s in self.spans]

    @property
    def needs_review(self) -> bool:
        return any(s.needs_review for s in self.spans)


def fold(text: str) -> str:
    """Full-width ASCII (０-９, Ａ-Ｚ, －, （ …) to half-width, one character for one."""
    return "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else " " if c == "\u3000" else c for c in text)


# Digits may be split by spaces or hyphens in typed documents ("3406 2119 9001 0112 32").
_SEP = r"[ \u00a0\u3000-]?"
_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"

ID_18 = re.compile(
    _NOT_ALNUM_BEFORE
    + r"[1-9]\d{5}" + _SEP + r"(?:19|20)\d{2}" + _SEP + r"(?:0[1-9]|1[0-2])" + _SEP + r"(?:0[1-9]|[12]\d|3[01])"
    + _SEP + r"\d{3}" + _SEP + r"[\dXx]" + _NOT_ALNUM_AFTER
)
ID_15 = re.compile(_NOT_ALNUM_BEFORE + r"[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}" + _NOT_ALNUM_AFTER)
# Any other identity document after its label: 护照 E12345678, 港澳通行证, 军官证 …
OTHER_ID = re.compile(r"(?:护照|通行证|军官证|居住证|驾驶证|社会保障卡|社保卡)(?:号码?|编号)?[:：\s]*([A-Za-z0-9][A-Za-z0-9 -]{5,20}[A-Za-z0-9])")

MOBILE = re.compile(_NOT_ALNUM_BEFORE + r"(?:\+?86" + _SEP + r")?1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4}" + _NOT_ALNUM_AFTER)
LANDLINE = re.compile(_NOT_ALNUM_BEFORE + r"(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}" + _SEP + r")\d{7,8}(?:" + _SEP + r"\d{1,4})?" + _NOT_ALNUM_AFTER)
PHONE_LABEL = re.compile(r"(?:电话|联系方式|联系电话|手机|座机|固话|Tel|TEL|tel)(?:号码?)?[:：\s]*((?:\d[ -]?){6,11}\d)")

BANK_LABEL = re.compile(r"(?:账号|帐号|卡号|账户|帐户|开户行[^，。；;,]{0,30}?(?:账号|帐号)?)[:：\s]*((?:\d[ -]?){7,29}\d)")
BANK_BARE = re.compile(_NOT_ALNUM_BEFORE + r"(?:62|4|5)(?:\d[ ]?){14,17}\d" + _NOT_ALNUM_AFTER)

HOME_LABELS = ("家庭住址", "现居住地", "现住址", "住址", "户籍地", "户籍所在地", "居住地", "联系地址", "暂住地", "家住")
ORG_LABELS = ("住所", "地址", "经营场所", "住所地")
ADDRESS_BODY = r"[:：为是在\s]*([^，。；;,\n]{2,60})"
# An address without a label: an administrative division to a house number, where a sentence places
# something ("在…", "位于…", "住…") or a clause starts.
DIVISION = re.compile(r"(?:(?<=[在于至到住：:，,、\s（(])|^)(?:[\u4e00-\u9fa5]{2,7}(?:省|自治区|市))?[\u4e00-\u9fa5]{1,7}(?:市|县|区|旗)"
                      r"[\u4e00-\u9fa5\d]{0,20}?(?:镇|乡|街道|村|路|街|巷|小区|社区)[\u4e00-\u9fa5\d\-]{0,20}?\d+(?:号|室|栋|幢|单元|组)"
                      r"(?:[\d\-]+(?:号|室|栋|幢|单元|楼))*")

PERSON_LABELS = ("证人", "患者", "病人", "举报人", "投诉人", "被询问人", "委托代理人", "代理人", "法定代理人", "受害人",
                 "就诊者", "顾客", "消费者", "监护人", "见证人", "陪同人")
PERSON_AFTER_LABEL = re.compile(r"(?:" + "|".join(PERSON_LABELS) + r")[:：\s]*([\u4e00-\u9fa5]{1}[\u4e00-\u9fa5·]{1,3}?)"
                                r"(?=[，。；、,（(\s]|等|的|称|于|在|系|反映|陈述|证实|签|输液|就诊|治疗|诊疗|购买|手术|$)")

HEALTH = re.compile(r"(?:患有|诊断为|确诊|感染|艾滋病|HIV|乙肝|乙型肝炎|梅毒|结核|精神(?:疾病|障碍|分裂)|抑郁症|癌|肿瘤|怀孕|妊娠|"
                    r"流产|不孕|性病|传染病|病历|病史|病情|检验结果|阳性)")

def luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for index, char in enumerate(digits):
        n = int(char)
        if index % 2 == parity:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    return total % 10 == 0


def id_check_ok(number: str) -> bool:
    """The 18-digit 身份证's check character (python-stdnum); the 15-digit form has none."""
    digits = re.sub(r"[^0-9Xx]", "", number).upper()
    return len(digits) != 18 or ric.is_valid(digits)


def redact(text: str, subjects: Subjects) -> Redaction:
    text = unicodedata.normalize("NFC", text)
    folded = fold(text)
    spans: list[Span] = []

    def add(start: int, end: int, kind: str, rule: str, confidence: str, **extra) -> None:
        if end > start:
            spans.append(Span(start, end, kind, rule, confidence, **extra))

    for match in ID_18.finditer(folded):
        add(match.start(), match.end(), "id_number", "id18", "high" if id_check_ok(match.group()) else "low")
    for match in ID_15.finditer(folded):
        add(match.start(), match.end(), "id_number", "id15", "medium")
    for match in OTHER_ID.finditer(folded):
        add(match.start(1), match.end(1), "id_number", "id_label", "medium")

    for match in phonenumbers.PhoneNumberMatcher(folded, "CN", leniency=phonenumbers.Leniency.VALID):
        add(match.start, match.end, "phone", "phonenumbers", "high")
    for pattern, rule in ((MOBILE, "mobile"), (LANDLINE, "landline")):
        for match in pattern.finditer(folded):
            if not _looks_like_other_number(folded, match.start(), match.end()):
                add(match.start(), match.end(), "phone", rule, "medium")
    for match in PHONE_LABEL.finditer(folded):
        add(match.start(1), match.end(1), "phone", "phone_label", "high")

    for match in BANK_LABEL.finditer(folded):
        add(match.start(1), match.end(1), "bank_account", "bank_label", "high")
    for match in BANK_BARE.finditer(folded):
        digits = re.sub(r"\D", "", match.group())
        add(match.start(), match.end(), "bank_account", "bank_length", "high" if luhn_ok(digits) else "low")

    for label in HOME_LABELS:
        for match in re.finditer(re.escape(label) + ADDRESS_BODY, folded):
            add(match.start(1), match.end(1), "address", "address_label", "high")
    public_addresses = []  # an organisation party's registered address: published with its name
    org_context, person_context = _contexts(folded, subjects)
    for label in ORG_LABELS:
        for match in re.finditer(r"(?<![家现户居联暂])" + re.escape(label) + ADDRESS_BODY, folded):
            if _nearest(org_context, match.start()) > _nearest(person_context, match.start()):
                public_addresses.append((match.start(1), match.end(1)))
                continue
            add(match.start(1), match.end(1), "address", "address_label", "high" if subjects.party_is_natural_person else "medium")
    for match in DIVISION.finditer(folded):
        start = match.start() + _leading_label(match.group())
        if not any(begin < match.end() and start < end for begin, end in public_addresses):
            add(start, match.end(), "address", "address_division", "medium")

    known_at = set()  # where a name from the case starts: the label rule need not guess its length there
    for name in sorted({n.strip() for n in subjects.other_names if n and n.strip()}, key=len, reverse=True):
        if subjects.party_name and name == subjects.party_name.strip():
            continue
        for match in re.finditer(re.escape(name), folded):
            add(match.start(), match.end(), "name", "case_person", "high")
            known_at.add(match.start())
    for match in PERSON_AFTER_LABEL.finditer(folded):
        name = match.group(1)
        if match.start(1) in known_at or (subjects.party_name and name in subjects.party_name):
            continue
        add(match.start(1), match.end(1), "name", "person_label", "medium", needs_review=True)

    for match in HEALTH.finditer(folded):
        add(match.start(), match.end(), "health", "health_term", "low", removed=False, needs_review=True)

    merged = _merge(spans)
    out = list(text)
    for span in merged:
        if span.removed:
            for index in range(span.start, span.end):
                if not out[index].isspace():
                    out[index] = MASK
    return Redaction("".join(out), merged)


_LEADING = sorted({*HOME_LABELS, *ORG_LABELS, "位于", "在", "于", "住", "为", "是", "现"}, key=len, reverse=True)


def _leading_label(found: str) -> int:
    """How many characters of a matched address are its label ("住址", "户籍地" …), which stay readable."""
    skipped = 0
    while True:
        label = next((word for word in _LEADING if found.startswith(word, skipped)), None)
        if label is None:
            return skipped
        skipped += len(label)


def _looks_like_other_number(text: str, start: int, end: int) -> bool:
    """Amounts, dates and 文号 that happen to have a phone's shape: 〔2026〕, 元, 年."""
    after = text[end:end + 1]
    before = text[max(0, start - 1):start]
    return after in ("元", "年", "月", "日", "号", "〕", "]", "万", "%", ".") or before in ("〔", "[", "第", "¥", "￥")


ORG_WORDS = ("你单位", "该单位", "你校", "该校", "你院", "该院", "你公司", "该公司", "被处罚单位", "当事人名称", "单位名称")
PERSON_WORDS = ("法定代表人", "负责人", "经营者", "委托代理人", "代理人", *PERSON_LABELS, "劳动者", "学生", "其妻", "其夫", "丈夫", "妻子")


def _contexts(text: str, subjects: Subjects) -> tuple[list[int], list[int]]:
    """Where the text speaks of the organisation party and where of a natural person: an address label
    belongs to whichever was mentioned last before it."""
    if subjects.party_is_natural_person or not subjects.party_name:
        return [], [0]
    org = [m.end() for word in (subjects.party_name.strip(), *ORG_WORDS) for m in re.finditer(re.escape(word), text)]
    person = [m.end() for word in PERSON_WORDS for m in re.finditer(re.escape(word), text)]
    person += [m.end() for name in subjects.other_names if name.strip() for m in re.finditer(re.escape(name.strip()), text)]
    return org, person


def _nearest(positions: list[int], before: int) -> int:
    return max((p for p in positions if p <= before), default=-1)


def _merge(spans: list[Span]) -> list[Span]:
    """Overlapping spans become one (the removed one wins over a flag; the stronger rule names it)."""
    order = {"high": 0, "medium": 1, "low": 2}
    ranked = sorted(spans, key=lambda s: (s.start, -s.end))
    merged: list[Span] = []
    for span in ranked:
        if merged and span.start < merged[-1].end and (span.removed == merged[-1].removed):
            last = merged[-1]
            keep = last if order[last.confidence] <= order[span.confidence] else span
            merged[-1] = Span(last.start, max(last.end, span.end), keep.kind, keep.rule, keep.confidence, last.removed,
                              last.needs_review or span.needs_review)
        else:
            merged.append(span)
    return merged
