"""Clauses that introduce a person: the labels vary the way they vary between clerks."""

from __future__ import annotations

from . import numbers
from .case import Case, Person
from .marks import remove

ID_LABELS = ("身份证号码：", "身份证号：", "公民身份号码：", "居民身份证号码", "身份证号为", "证件号码：", "身份证:",
             "身份证号码 ", "身份证号码:", "居民身份证号：")
PHONE_LABELS = ("联系电话：", "电话：", "手机号码：", "联系方式：", "手机：", "电话号码为", "联系电话:", "Tel：", "手机号",
                "电话")
LANDLINE_LABELS = ("联系电话：", "电话：", "联系方式：", "电话号码为", "联系电话:", "Tel：", "电话", "固定电话：")
HOME_LABELS = ("住址：", "住", "家住", "现住", "户籍地：", "现住址：", "户籍所在地：", "经常居住地：", "居住地址：", "住址")


def identity(c: Case, p: Person) -> list:
    """「身份证号码：…」, or the travel document of someone who has no 居民身份证."""
    if p.travel_number:
        return [p.travel_label, c.rng.choice(("：", ":", "为", "：", " ")), remove("passport", p.travel_number)]
    return [c.rng.choice(ID_LABELS), remove("id_number", p.id_number)]


def bracketed_identity(c: Case, p: Person) -> list:
    opening, closing = c.rng.choice((("（", "）"), ("（", "）"), ("(", ")"), ("【", "】"), ("（", ")")))  # clerks mix widths
    return [opening, identity(c, p), closing]


def phone(c: Case, p: Person) -> list:
    labels = PHONE_LABELS if p.has_mobile else LANDLINE_LABELS
    return [c.rng.choice(labels), remove("phone", p.phone)]


def home(c: Case, p: Person) -> list:
    return [c.rng.choice(HOME_LABELS), remove("address", p.address)]


def contact(c: Case, p: Person) -> list:
    """How a complainant or witness can be reached: mostly a phone, sometimes an account."""
    roll = c.rng.random()
    if roll < 0.6:
        return phone(c, p)
    if roll < 0.73:
        return [c.rng.choice(("电子邮箱：", "邮箱：", "E-mail：", "电子邮箱")), remove("email", numbers.email(c.rng))]
    if roll < 0.88:
        return [c.rng.choice(("QQ号：", "QQ：", "QQ号码", "qq号")), remove("qq", numbers.qq_number(c.rng))]
    return [c.rng.choice(("微信号：", "微信：", "微信号")), remove("wechat", numbers.wechat_id(c.rng))]


def sex_age(c: Case, p: Person) -> str:
    return c.rng.choice((f"{p.sex}，{p.age}岁", f"{p.sex}，{p.age}周岁", f"{p.sex}, {p.age}岁", f"{p.age}岁，{p.sex}"))


def introduce(c: Case, role: str, p: Person, *, detail: int | None = None, bracketed: bool = True) -> list:
    """A third party as the fact-finding paragraphs name them, from the bare name (detail 0)
    to name, sex, age, ID number and home address (detail 3). `bracketed`: the particulars are in
    brackets, so the sentence can go straight on (「患者张三（女，45岁）证实……」); otherwise they
    may run on with commas and the caller goes on with "，"."""
    rng = c.rng
    detail = rng.randint(0, 3) if detail is None else detail
    name = c.name_of(p)
    if detail == 0:
        return [role, name]
    if detail == 1:
        return [role, name, "（", sex_age(c, p), "）"]
    if detail == 2:
        forms = [[role, name, "（", contact(c, p), "）"],
                 [role, name, "（", sex_age(c, p), "，", contact(c, p), "）"],
                 [role, name, "（", sex_age(c, p), "，", home(c, p), "）"]]
        if not bracketed:
            forms.append([role, name, "，", sex_age(c, p), "，", home(c, p)])
        return rng.choice(forms)
    forms = [[role, name, "（", sex_age(c, p), "，", identity(c, p), "，", home(c, p), "）"],
             [role, name, bracketed_identity(c, p)]]
    if not bracketed:
        forms += [[role, name, "，", sex_age(c, p), "，", identity(c, p), "，", home(c, p), "，", phone(c, p)],
                  [role, name, bracketed_identity(c, p), "，", home(c, p)]]
    return rng.choice(forms)


def name_list(c: Case, people: list[Person]) -> list:
    """杨某某、夏某某、王某 — every name a remove span."""
    pieces = []
    for i, p in enumerate(people):
        if i:
            pieces.append(c.rng.choice(("、", "、", "，")) if i < len(people) - 1 else c.rng.choice(("、", "和", "及")))
        pieces.append(c.name_of(p))
    return pieces
