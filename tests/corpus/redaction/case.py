"""The facts of one case: the agency and its officers, the party, the third parties, the dates.

A `Case` draws everything a document needs from the document's own random generator and hands
out marks for it, so a template writes `c.party_name()` or `c.id_of(witness)` and never has to
know whether that piece is a keep or a remove. It also collects what the case data (as opposed
to the text) knows about the people: the subjects passed to the redaction.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from . import numbers
from .data import (
    AGENCIES,
    CHILD_GIVEN,
    ETHNICITIES,
    GIVEN_FEMALE,
    GIVEN_MALE,
    RESIDENTIAL_COMPOUNDS,
    SHOP_STREETS,
    SURNAMES,
    VILLAGES,
    County,
)
from .marks import Mark, keep, remove


@dataclass
class Person:
    name: str
    sex: str
    age: int
    county: County
    ethnicity: str = "汉族"
    # How this person's data is written in this document; drawn once, so a number that is
    # mentioned twice is the same number twice.
    id_number: str = ""
    phone: str = ""
    has_mobile: bool = True  # or a landline, which nobody labels 手机
    address: str = ""
    # Someone from Hong Kong, Macao, Taiwan or abroad is identified by a travel document instead.
    travel_label: str = ""
    travel_number: str = ""
    # Set when a document first gives them, so a table later in the document repeats them.
    diagnosis: str = ""
    record: str = ""


@dataclass
class Organisation:
    name: str
    uscc: str
    address: list  # pieces: an address may carry `plain` keeps (小区, 三楼) inside it
    address_text: str
    head: str  # 法定代表人 or 负责人
    head_title: str
    licence: str | None = None
    account: str | None = None
    bank: str | None = None


@dataclass
class Party:
    kind: str  # "organisation", "person" or "individual" (个体工商户)
    name: str  # the name the decision is addressed to
    person: Person | None = None  # the natural person, or the operator of a 个体工商户
    organisation: Organisation | None = None

    @property
    def is_natural_person(self) -> bool:
        return self.kind in ("person", "individual")


@dataclass
class Officer:
    name: str
    certificate: str


REGIONAL_HOSPITALS = ("淮北矿工总医院", "徐州医科大学附属医院", "安徽医科大学第一附属医院", "宿州市立医院")
BANKS = ("中国农业银行濉溪支行", "中国建设银行淮北分行营业部", "中国工商银行相山支行", "安徽濉溪农村商业银行",
         "徽商银行淮北分行", "中国银行淮北分行", "中国邮政储蓄银行濉溪县支行", "淮北农村商业银行杜集支行")
BRANDS = ("仁和", "康宁", "惠民", "博爱", "济民", "同心", "益康", "华康", "平安", "福寿", "瑞康", "金秋", "蓝天", "碧水",
          "鑫源", "恒泰", "永盛", "明珠", "东方", "新世纪", "悦容", "丽人", "美颜", "雅致", "百草堂", "正骨堂", "春晖")


@dataclass
class Case:
    rng: random.Random
    agency: object = None
    year: int = 2026
    officers: list[Officer] = field(default_factory=list)
    contact: str = ""  # the agency's contact person
    party: Party | None = None
    found: datetime.date | None = None  # the day of the inspection
    decided: datetime.date | None = None
    _names: list[str] = field(default_factory=list)
    other_names: list[str] = field(default_factory=list)
    keep_names: list[str] = field(default_factory=list)
    keep_phrases: list[str] = field(default_factory=list)
    _office_phone: str = ""
    date_style: str = "年月日"  # most dates of one document are written one way

    @classmethod
    def draw(cls, rng: random.Random) -> "Case":
        case = cls(rng=rng)
        case.agency = rng.choice(AGENCIES)
        case.year = rng.choice((2024, 2025, 2025, 2026, 2026, 2026))
        case.date_style = rng.choice(numbers.DATE_STYLES)
        case.found = datetime.date(case.year, rng.randint(1, 9), rng.randint(1, 28))
        case.decided = case.found + datetime.timedelta(days=rng.randint(18, 85))
        for _ in range(rng.choice((2, 2, 2, 3))):
            name = case.new_name()
            case.officers.append(Officer(name, numbers.certificate_number(rng, case.agency.county.region)))
            case.keep_names.append(name)
        case.contact = rng.choice((case.officers[0].name, case.new_name()))
        if case.contact not in case.keep_names:
            case.keep_names.append(case.contact)
        area = case.agency.county.area_code
        digits = case.agency.office_phone_digits
        case._office_phone = rng.choice((f"{area}-{digits}", f"{area}-{digits}", f"（{area}）{digits}", digits,
                                         f"{area} {digits}"))
        case.keep_phrases += [case.agency.office_address, case._office_phone]
        return case

    # --- names -----------------------------------------------------------------------------

    def new_name(self, sex: str | None = None, *, pseudonym: bool = False, child: bool = False) -> str:
        """A name no other name of this document contains or is contained in, so that a name found
        by its string is never also a piece of another person's name."""
        rng = self.rng
        sex = sex or rng.choice("男女")
        while True:
            surname = rng.choice(SURNAMES)
            if pseudonym:
                name = surname + rng.choice(("某", "某某", "某某"))
            elif child:
                name = surname + rng.choice(CHILD_GIVEN)
            else:
                name = surname + rng.choice(GIVEN_MALE if sex == "男" else GIVEN_FEMALE)
            if all(name not in other and other not in name for other in self._names):
                self._names.append(name)
                return name

    def person(self, *, sex: str | None = None, age: tuple[int, int] = (19, 76), pseudonym: bool = False,
               child: bool = False, local: bool = True) -> Person:
        rng = self.rng
        sex = sex or rng.choice("男女")
        county = self.agency.county if local or rng.random() < 0.5 else rng.choice(AGENCIES).county
        person = Person(self.new_name(sex, pseudonym=pseudonym, child=child), sex,
                        rng.randint(2, 14) if child else rng.randint(*age), county, rng.choice(ETHNICITIES))
        birth = datetime.date(self.year - person.age, rng.randint(1, 12), rng.randint(1, 28))
        person.id_number = numbers.id_number(rng, county.region, birth)
        person.has_mobile = rng.random() < 0.85
        person.phone = numbers.mobile(rng) if person.has_mobile else numbers.landline(rng, county.area_code)
        person.address = home_address(rng, county)
        if not child and rng.random() < 0.1:
            person.travel_label, person.travel_number = numbers.travel_document(rng)
        return person

    def third_party(self, **kwargs) -> Person:
        """A witness, patient, complainant…: known to the case data only sometimes."""
        person = self.person(**kwargs)
        if self.rng.random() < 0.5:
            self.other_names.append(person.name)
        return person

    # --- the party ---------------------------------------------------------------------------

    def organisation_party(self, name_maker, *, category: str = "91", licence: str | None = None,
                           with_account: bool | None = None) -> Party:
        rng = self.rng
        county = self.agency.county
        head = self.new_name()
        name = name_maker(self, head)
        address = organisation_address(rng, county)
        address_text = "".join(_plain_text(address))
        organisation = Organisation(
            name=name,
            uscc=numbers.uscc(rng, category, county.region, newer=rng.random() < 0.7),
            address=address,
            address_text=address_text,
            head=head,
            head_title=rng.choice(("法定代表人", "法定代表人", "负责人", "主要负责人", "法定代表人（负责人）")),
            licence=licence,
        )
        if with_account if with_account is not None else rng.random() < 0.35:
            organisation.account = numbers.written_account(rng, numbers.corporate_account(rng))
            organisation.bank = rng.choice(BANKS)
        self.party = Party("organisation", name, organisation=organisation)
        self.keep_names.append(head)
        self.keep_phrases.append(address_text)
        return self.party

    def person_party(self, **kwargs) -> Party:
        person = self.person(**kwargs)
        self.party = Party("person", person.name, person=person)
        return self.party

    def individual_party(self, shop_kind: str, *, with_trade_name: bool = True) -> Party:
        """A 个体工商户: its operator is a natural person; it may trade under a name (字号)."""
        rng = self.rng
        person = self.person()
        county = self.agency.county
        if with_trade_name:
            name = rng.choice((
                f"{county.prefix}{rng.choice(county.towns)}{rng.choice(BRANDS)}{shop_kind}",
                f"{county.prefix}{rng.choice(BRANDS)}{shop_kind}",
                f"{county.prefix}{person.name}{shop_kind}",
            ))
        else:
            name = person.name
        address = organisation_address(rng, county)
        organisation = Organisation(name=name, uscc=numbers.uscc(rng, "92", county.region), address=address,
                                    address_text="".join(_plain_text(address)), head=person.name,
                                    head_title="经营者")
        self.party = Party("individual", name, person=person, organisation=organisation)
        if with_trade_name:
            self.keep_names.append(person.name)
        self.keep_phrases.append(organisation.address_text)
        return self.party

    # --- marks for the templates -------------------------------------------------------------

    def party_name(self) -> Mark:
        return keep("party_name", self.party.name)

    def operator_name(self) -> Mark:
        """The natural person behind the party (the party itself, or a 个体工商户's operator)."""
        return keep("party_name", self.party.person.name)

    def head(self) -> Mark:
        return keep("legal_rep", self.party.organisation.head)

    def officer(self, i: int) -> Mark:
        return keep("officer_name", self.officers[i].name)

    def certificate(self, i: int) -> Mark:
        return keep("certificate_number", self.officers[i].certificate)

    def officers_with_certificates(self, separator: str = "、") -> list:
        rng = self.rng
        label = rng.choice(("执法证号：", "执法证号", "执法证件号：", "证号："))
        pieces = []
        for i in range(len(self.officers)):
            if i:
                pieces.append(separator)
            pieces += [self.officer(i), "（", label, self.certificate(i), "）"]
        return pieces

    def officer_names(self) -> list:
        pieces = []
        for i in range(len(self.officers)):
            if i:
                pieces.append("、")
            pieces.append(self.officer(i))
        return pieces

    def contact_name(self) -> Mark:
        return keep("officer_name", self.contact)

    def office_phone(self) -> Mark:
        return keep("agency_phone", self._office_phone)

    def office_address(self) -> Mark:
        return keep("agency_address", self.agency.office_address)

    def doc_number(self, kind: str) -> Mark:
        """`kind` is the middle of the number: 医罚, 公罚, 职罚, 强, 许 …"""
        return keep("doc_number", doc_number(self.rng, self.agency.short, kind, self.year))

    def date(self, day: datetime.date, *, formal: bool = False) -> Mark:
        style = self.date_style if self.rng.random() < 0.85 else None
        return keep("date", numbers.written_date(self.rng, day, formal=formal, style=style))

    def money(self, yuan: int) -> Mark:
        return keep("money", numbers.written_money(self.rng, yuan))

    def statute(self, text: str) -> Mark:
        return keep("statute", text)

    def plain(self, text: str) -> Mark:
        return keep("plain", text)

    def uscc_of_party(self) -> Mark:
        return keep("uscc", self.party.organisation.uscc)

    def party_address(self) -> Mark:
        return keep("org_address", *self.party.organisation.address)

    def batch(self) -> Mark:
        return keep("batch_number", numbers.batch_number(self.rng, self.year))

    @staticmethod
    def name_of(person: Person) -> Mark:
        return remove("name", person.name)

    @staticmethod
    def id_of(person: Person) -> Mark:
        return remove("id_number", person.id_number)

    @staticmethod
    def phone_of(person: Person) -> Mark:
        return remove("phone", person.phone)

    @staticmethod
    def home_of(person: Person) -> Mark:
        return remove("address", person.address)

    def hospital(self) -> str:
        """A hospital patients of this agency's area would go to."""
        county = self.agency.county
        local = [f"{county.city}人民医院", f"{county.city}第二人民医院", f"{county.city}妇幼保健院"]
        if not county.county.endswith("区"):
            local += [f"{county.county}人民医院", f"{county.county}中医医院"]
        return self.rng.choice(local + list(REGIONAL_HOSPITALS))

    def day(self, earliest: int, latest: int) -> datetime.date:
        """A day `earliest`…`latest` days after the inspection."""
        return self.found + datetime.timedelta(days=self.rng.randint(earliest, latest))

    def subjects(self) -> dict:
        return {
            "party_name": self.party.name if self.party else None,
            "party_is_natural_person": bool(self.party and self.party.is_natural_person),
            "other_names": list(self.other_names),
            "keep_names": list(dict.fromkeys(self.keep_names)),
            "keep_phrases": list(dict.fromkeys(self.keep_phrases)),
        }


def _plain_text(pieces) -> list[str]:
    out = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
        elif isinstance(piece, Mark):
            out += _plain_text(piece.body)
        elif piece is not None:
            out += _plain_text(piece)
    return out


def doc_number(rng: random.Random, short: str, kind: str, year: int) -> str:
    n = rng.randint(1, 160)
    return rng.choice((
        f"{short}卫{kind}〔{year}〕{n}号",
        f"{short}卫{kind}〔{year}〕{n}号",
        f"{short}卫{kind}[{year}]{n}号",
        f"{short}卫{kind}［{year}］第{n:03d}号",
        f"{short}卫{kind}字〔{year}〕第{n}号",
        f"{short}卫{kind}（{year}）{n}号",
    ))


def _rural_towns(county: County) -> list[str]:
    return [t for t in county.towns if t.endswith("镇")] or list(county.towns)


def home_address(rng: random.Random, county: County) -> str:
    """Where a natural person lives, in the forms household registers and interview records use."""
    cn = numbers.chinese_count
    town = rng.choice(_rural_towns(county))
    village = rng.choice(VILLAGES)
    group, house = rng.randint(1, 12), rng.randint(1, 88)
    road = rng.choice(county.roads)
    compound = rng.choice(RESIDENTIAL_COMPOUNDS)
    building, unit, room = rng.randint(1, 32), rng.randint(1, 4), rng.choice((101, 202, 301, 402, 501, 602, 1103))
    return rng.choice((
        f"{county.province}{county.city}{county.county}{town}{village}{cn(group)}组{cn(house)}号",
        f"{county.province}{county.county}{town}{village}{cn(group)}组" if county.county[-1] in "县市"
        else f"{county.province}{county.city}{county.county}{town}{village}{cn(group)}组",
        f"{county.county}{town}{village}{cn(group)}组{cn(house)}号",
        f"{town}{village}{cn(group)}组{cn(house)}号",  # beginning with the township
        f"{town}{village}{group}组{house}号",
        f"{county.county}{town}{village}{rng.choice('前后东西小')}{village[0]}庄{house}号",
        f"{county.city}{county.county}{road}{rng.randint(1, 300)}号{compound}{building}栋{unit}单元{room}室",
        f"{county.city}{road}{compound}{building}号楼{room}室",  # no county
        f"{county.city}{road}{rng.randint(1, 300)}号院{building}号楼{unit}单元{room}",
        f"{county.province}{county.city}{county.county}{town}{road}{rng.randint(1, 300)}号",
    ))


def organisation_address(rng: random.Random, county: County) -> list:
    """A registered seat or place of business: pieces, since parts such as a 小区 name or a floor
    are plain words that must survive as they are."""
    town = rng.choice(county.towns)
    road = rng.choice(county.roads)
    number = rng.randint(1, 400)
    compound = rng.choice(RESIDENTIAL_COMPOUNDS)
    floor = rng.choice(("一楼", "二楼", "三楼", "一层", "二层", "一至三层"))
    return rng.choice((
        [f"{county.province}{county.city}{county.county}{town}{road}{number}号"],
        [f"{county.city}{county.county}{road}{number}号", keep("plain", compound), f"{rng.randint(1, 20)}号楼",
         keep("plain", floor), "商铺"],
        [f"{county.county}{road}与{rng.choice([r for r in county.roads if r != road])}交叉口"
         f"{rng.choice(('东南角', '西北角', '东北侧'))}"],
        [f"{county.county}经济开发区{road}{number}号"],
        [f"{county.county}{town}{rng.choice(SHOP_STREETS)}{number}号"],
        [f"{county.province}{county.city}{county.county}{road}{number}号", keep("plain", compound), "门面房",
         keep("plain", floor)],
        [f"{town}{rng.choice(VILLAGES)}村委会东侧{rng.randint(50, 300)}米"],
        [f"{county.city}{county.county}{town}{road}", keep("plain", floor)],
    ))
