"""The parts every decision has — heading, party, reasons, decision, remedies, contacts,
signature — each written several ways. A part returns a list of pieces ending in a line break."""

from __future__ import annotations

import datetime

from . import numbers
from .case import Case
from .marks import keep, remove
from .phrases import home, identity, phone
from .stories import Story

NL = "\n"


def colon(c: Case) -> str:
    return c.rng.choice(("：", "：", "：", ":", ": "))


# --- heading -----------------------------------------------------------------------------

def heading(c: Case, title: str, code: str, *, number_label: bool | None = None) -> list:
    rng = c.rng
    spaced_title = " ".join(title) if rng.random() < 0.25 else title
    number = c.doc_number(code)
    label = rng.random() < 0.3 if number_label is None else number_label
    return rng.choice((
        [c.agency.name, NL, spaced_title, NL, ("文号：" if label else ""), number, NL],
        [c.agency.name, NL, spaced_title, NL, NL, rng.choice(("", "　　　　　　　　")), number, NL],
        [spaced_title, NL, ("编号" + colon(c) if label else ""), number, NL],
    ))


# --- the party ---------------------------------------------------------------------------

def organisation_block(c: Case) -> list:
    rng = c.rng
    o = c.party.organisation
    seat = rng.choice(("住所", "住所", "地址", "经营场所", "注册地址", "单位地址"))
    licence = ([rng.choice(("医疗机构执业许可证登记号", "执业许可证登记号", "许可证号")), colon(c), keep("license_number", o.licence)]
               if o.licence else None)
    head_phone = rng.random() < 0.3
    account = ([rng.choice(("开户银行", "开户行")), colon(c), o.bank, "，", rng.choice(("账号", "银行账号", "基本账户")), colon(c),
                remove("bank_account", o.account)] if o.account else None)
    layout = rng.randint(1, 4)
    if layout == 1:
        return ["当事人", colon(c), c.party_name(), NL,
                "统一社会信用代码", colon(c), c.uscc_of_party(), NL,
                seat, colon(c), c.party_address(), NL,
                o.head_title, colon(c), c.head(), NL,
                [licence, NL] if licence else None,
                ["联系电话", colon(c), remove("phone", numbers.mobile(rng)), NL] if head_phone else None,
                [account, NL] if account else None]
    if layout == 2:
        return ["当事人", c.party_name(), "，统一社会信用代码", c.uscc_of_party(), "，", seat, "位于", c.party_address(), "，",
                o.head_title, c.head(), ["，", licence] if licence else None, ["，", account] if account else None, "。", NL]
    if layout == 3:
        gap = rng.choice(("    ", "  ", "\t"))
        return [rng.choice(("被处罚单位", "当事人名称", "单位名称")), ": ", c.party_name(), gap, "统一社会信用代码: ",
                c.uscc_of_party(), NL, "地址: ", c.party_address(), NL, o.head_title, ": ", c.head(),
                [gap, "手机: ", remove("phone", numbers.mobile(rng))] if head_phone else None, NL,
                [licence, NL] if licence else None, [account, NL] if account else None]
    return ["【当事人】", c.party_name(), NL, "【统一社会信用代码】", c.uscc_of_party(), NL, f"【{seat}】",
            c.party_address(), NL, f"【{o.head_title}】", c.head(), NL,
            ["【", licence[0], "】", licence[2], NL] if licence else None]


def person_block(c: Case, *, label: str = "当事人") -> list:
    rng = c.rng
    p = c.party.person
    extra = None
    roll = rng.random()
    if roll < 0.14:
        extra = [rng.choice(("电子送达地址", "电子邮箱", "邮箱")), colon(c), remove("email", numbers.email(rng))]
    elif roll < 0.22:
        extra = ["微信号", colon(c), remove("wechat", numbers.wechat_id(rng))]
    elif roll < 0.3:
        extra = [rng.choice(("QQ号", "QQ")), colon(c), remove("qq", numbers.qq_number(rng))]
    elif roll < 0.36:
        extra = [rng.choice(("社会保障卡号", "社保卡号", "医保卡号")), colon(c),
                 remove("social_security", numbers.social_security_number(rng, p.county.region))]
    layout = rng.randint(1, 4)
    if layout == 1:
        return [label, colon(c), c.operator_name(), "，性别", colon(c), p.sex, "，民族", colon(c), p.ethnicity, "，年龄",
                colon(c), f"{p.age}岁", "，", identity(c, p), "，", home(c, p), "，", phone(c, p),
                ["，", extra] if extra else None, "。", NL]
    if layout == 2:
        return [label, "姓名", colon(c), c.operator_name(), NL, "性别", colon(c), p.sex, "    年龄", colon(c), f"{p.age}",
                NL, identity(c, p), NL, home(c, p), NL, phone(c, p), NL, [extra, NL] if extra else None]
    if layout == 3:
        return [label, c.operator_name(), "，", p.sex, "，", f"{p.age}岁", "，", p.ethnicity, "，", identity(c, p), "，",
                home(c, p), ["，", extra] if extra else None, "。", NL]
    return [f"【{label}】", c.operator_name(), NL, "【性别】", p.sex, NL,
            ["【证件号码】", remove("passport", p.travel_number)] if p.travel_number else
            ["【身份证号】", remove("id_number", p.id_number)], NL,
            "【住址】", remove("address", p.address), NL, "【联系电话】", remove("phone", p.phone), NL]


def individual_block(c: Case) -> list:
    rng = c.rng
    o = c.party.organisation
    p = c.party.person
    trade_name = o.name != p.name
    if not trade_name:
        return ["当事人", colon(c), c.operator_name(), "（个体工商户）", NL,
                "统一社会信用代码", colon(c), c.uscc_of_party(), NL,
                "经营场所", colon(c), c.party_address(), NL,
                identity(c, p), NL, home(c, p), NL]
    if rng.random() < 0.5:
        return ["当事人", colon(c), c.party_name(), "（个体工商户）", NL,
                "经营者", colon(c), c.operator_name(), NL,
                "统一社会信用代码", colon(c), c.uscc_of_party(), NL,
                "经营场所", colon(c), c.party_address(), NL,
                "经营者", identity(c, p), NL,
                "经营者", home(c, p), NL,
                phone(c, p), NL]
    return ["当事人", c.party_name(), "，系个体工商户，统一社会信用代码", c.uscc_of_party(), "，经营场所位于", c.party_address(),
            "；经营者", c.operator_name(), "，", p.sex, "，", f"{p.age}岁", "，", identity(c, p), "，", home(c, p), "，",
            phone(c, p), "。", NL]


def party_block(c: Case, **kwargs) -> list:
    if c.party.kind == "organisation":
        return organisation_block(c)
    if c.party.kind == "individual":
        return individual_block(c)
    return person_block(c, **kwargs)


def party_again(c: Case) -> object:
    """How later paragraphs refer to the party: mostly 当事人, sometimes by name."""
    if c.rng.random() < 0.35:
        return ["当事人", c.party_name() if c.party.kind != "person" else c.operator_name()]
    return "当事人"


# --- facts, evidence, reasons ----------------------------------------------------------------

def opens_with(paragraph: list, words: str) -> bool:
    first = paragraph[0] if paragraph else ""
    return isinstance(first, str) and first.startswith(words)


def without_opening(paragraph: list, words: str) -> list:
    """The paragraph minus its opening words (「经查，」) when the caller has said them already."""
    if opens_with(paragraph, words):
        return [paragraph[0][len(words):], *paragraph[1:]]
    return paragraph


def facts(c: Case, story: Story, *, numbered: bool = False) -> list:
    rng = c.rng
    first = story.facts[0]
    intro = rng.choice((
        ["经查明：", NL] if numbered else ["经查，"],
        ["本机关查明：", NL],
        [c.agency.unit, "于", c.date(c.found), "对", party_again(c), "立案调查。", NL],
        [""],
    ))
    paragraphs = list(story.facts)
    if intro != [""]:  # the heading announces the findings; 「经查，」 again would say it twice
        paragraphs[0] = without_opening(first, "经查，")
    pieces = [intro]
    for i, paragraph in enumerate(paragraphs):
        pieces += [f"（{numbers.chinese_count(i + 1)}）" if numbered else "", paragraph, NL]
    return pieces


def evidence(c: Case, story: Story) -> list:
    rng = c.rng
    items = story.evidence
    style = rng.randint(1, 3)
    if style == 1:
        pieces = [rng.choice(("上述事实，有下列证据证明：", "以上事实有以下证据证实：", "认定上述事实的主要证据有：")), NL]
        for i, item in enumerate(items):
            pieces += [f"{i + 1}{rng.choice(('.', '、', '．'))}", item, "；" if i < len(items) - 1 else "。", NL]
        return pieces
    if style == 2:
        joined = []
        for i, item in enumerate(items):
            joined += ["、" if i else "", item]
        return ["以上事实有", joined, "等证据为证。", NL]
    pieces = ["证据：", NL]
    for i, item in enumerate(items):
        pieces += [f"（{i + 1}）", item, NL]
    return pieces


def procedure(c: Case) -> list:
    rng = c.rng
    notice = c.day(8, 20)
    kind = rng.randint(1, 3)
    notice_number = c.doc_number(rng.choice(("罚告", "医罚告", "告")))
    if kind == 1:
        return ["本机关于", c.date(notice), "向当事人送达了《行政处罚事先告知书》（", notice_number,
                "），告知其拟作出行政处罚的事实、理由、依据以及依法享有的陈述、申辩权利。当事人在法定期限内未提出陈述、申辩。", NL]
    if kind == 2:
        return [c.date(notice), "，本机关依法向当事人送达《行政处罚听证告知书》（", notice_number, "）。当事人于",
                c.date(c.day(21, 25)), "提出听证申请，本机关于", c.date(c.day(26, 35)),
                "依法举行了听证。当事人在听证中提出的", keep("plain", "第二次"), "检查时已整改完毕的意见，经复核，与认定的违法事实无关，不予采纳。", NL]
    return ["当事人于", c.date(notice), "提交了书面陈述申辩材料，称其系初次违法且已完成整改。经复核，本机关认为当事人提出的从轻处罚理由部分成立，依法予以采纳。", NL]


def reasons(c: Case, story: Story) -> list:
    rng = c.rng
    violated = _joined(story.violated)
    basis = _joined(story.basis)
    discretion = rng.choice((
        "鉴于当事人系初次违法，且能积极配合调查、主动整改，依法予以从轻处罚，",
        ["考虑到当事人在本机关责令改正后", keep("plain", "十五日内"), "完成了整改，"],
        "当事人违法行为持续时间较长、涉及人数较多，属情节较重，",
        "",
        ["参照《", c.agency.county.province, "卫生健康行政处罚裁量基准》，"],
    ))
    return rng.choice((
        ["本机关认为，当事人的上述行为违反了", violated, "的规定。依据", basis, "的规定，", discretion],
        ["当事人", story.summary, "的行为，违反了", violated, "之规定，已构成违法。根据", basis, "，", discretion],
        ["以上事实清楚，证据确凿。当事人的行为违反了", violated, "的规定，依据", basis, "的规定，", discretion],
    ))


def _joined(statutes: list) -> list:
    pieces = []
    for i, statute in enumerate(statutes):
        pieces += ["、" if i else "", statute]
    return pieces


def decision(c: Case, story: Story) -> list:
    rng = c.rng
    items = story.penalties
    style = rng.randint(1, 3)
    if style == 1:
        pieces = ["本机关决定对当事人作出如下行政处罚：", NL]
        for i, item in enumerate(items):
            pieces += [f"{i + 1}.", item, "；" if i < len(items) - 1 else "。", NL]
        return pieces
    if style == 2:
        joined = []
        for i, item in enumerate(items):
            joined += ["、" if i else "", item]
        return ["决定给予当事人", joined, "的行政处罚。", NL]
    pieces = ["现决定：", NL]
    for i, item in enumerate(items):
        pieces += [f"（{numbers.chinese_count(i + 1)}）", item, "；" if i < len(items) - 1 else "。", NL]
    return pieces


def payment(c: Case, story: Story) -> list:
    if not story.fine:
        return []
    rng = c.rng
    return rng.choice((
        ["当事人应当自收到本决定书之日起", keep("plain", "十五日内"), "，持本决定书到指定银行缴纳罚款，或者通过“皖事通”等电子支付渠道缴纳。到期不缴纳罚款的，本机关可以每日按罚款数额的",
         keep("plain", "百分之三"), "加处罚款。", NL],
        ["罚款限于", c.date(c.decided + datetime.timedelta(days=15)), "前缴至", rng.choice(("中国农业银行", "徽商银行", "中国建设银行")),
         "任一网点（非税收入专户），逾期不缴纳的，每日按罚款数额的", keep("plain", "3%"), "加处罚款，加处罚款的数额不得超出罚款数额。", NL],
        ["上述罚没款请于收到本决定书之日起", keep("plain", "15日内"), "缴纳。当事人确有经济困难，需要延期或者分期缴纳罚款的，可以向本机关提出书面申请。", NL],
    ))


def remedies(c: Case) -> list:
    rng = c.rng
    a = c.agency
    return rng.choice((
        ["当事人如不服本处罚决定，可以在收到本处罚决定书之日起六十日内向", a.review_body, "申请行政复议，也可以在六个月内依法向", a.court,
         "提起行政诉讼。行政复议和行政诉讼期间，本处罚决定不停止执行，法律另有规定的除外。", NL],
        ["如对本决定不服，可自收到本决定书之日起", keep("plain", "60日内"), "向", a.review_body, "申请复议，或者在", keep("plain", "6个月内"),
         "直接向", a.court, "起诉。逾期不申请行政复议、不提起行政诉讼又不履行本决定的，本机关将依法申请人民法院强制执行。", NL],
        ["当事人对本决定不服的，可以自收到本决定书之日起六十日内依法申请行政复议；或者自收到本决定书之日起六个月内依法提起行政诉讼。", NL],
    ))


def contacts(c: Case) -> list:
    rng = c.rng
    style = rng.randint(1, 4)
    if style == 1:
        return ["联系人", colon(c), c.contact_name(), rng.choice(("    ", "，", "  ")), "联系电话", colon(c), c.office_phone(), NL,
                "联系地址", colon(c), c.office_address(), NL]
    if style == 2:
        return ["本机关地址：", c.office_address(), "，邮政编码：", keep("plain", rng.choice(("235100", "235000", "235200", "234200"))),
                "，联系电话：", c.office_phone(), "（", c.contact_name(), "）。", NL]
    if style == 3:
        return ["（本机关联系人：", c.contact_name(), "，电话", c.office_phone(), "，地址", c.office_address(), "）", NL]
    return ["执法机关联系方式：", c.office_phone(), "；通讯地址：", c.office_address(), "。", NL]


def signature(c: Case, day=None) -> list:
    rng = c.rng
    day = day or c.decided
    indent = rng.choice(("", "                    ", "\t\t\t"))
    return rng.choice((
        [NL, indent, c.agency.name, NL, indent, c.date(day, formal=True), NL],
        [NL, indent, c.agency.name, "（印章）", NL, indent, c.date(day), NL],
        [NL, indent, c.agency.name, NL, indent, keep("date", numbers.chinese_date(day)), NL],
    ))
