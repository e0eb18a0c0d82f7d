"""The document families. Each takes a fresh `Case` and returns (pieces, style)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Callable

from . import numbers
from .blocks import (
    NL,
    colon,
    contacts,
    decision,
    evidence,
    facts,
    heading,
    party_again,
    party_block,
    payment,
    procedure,
    reasons,
    remedies,
    signature,
    without_opening,
)
from .case import BRANDS, Case, Person
from .data import DIAGNOSES
from .marks import keep, remove
from .phrases import bracketed_identity, home, identity, introduce, name_list, phone, sex_age
from .stories import (
    STORIES,
    beauty_without_licence,
    disinfection_products,
    fetal_sex_determination,
    radiation_without_licence,
    tell,
    unlicensed_practice,
)

PARTY_KINDS = ("organisation", "organisation", "person", "individual")


def _province_short(c: Case) -> str:
    return {"安徽省": "皖", "江苏省": "苏", "河南省": "豫"}[c.agency.county.province]


# --- 一般程序行政处罚决定书 ---------------------------------------------------------------------

def penalty_decision(c: Case) -> tuple[list, str]:
    kind = c.rng.choice(PARTY_KINDS)
    story = tell(c, kind)
    pieces = [
        heading(c, "行政处罚决定书", story.code),
        party_block(c),
        facts(c, story),
        evidence(c, story),
        procedure(c) if c.rng.random() < 0.7 else None,
        reasons(c, story), decision(c, story),
        payment(c, story),
        remedies(c),
        contacts(c) if c.rng.random() < 0.85 else None,
        signature(c),
    ]
    return pieces, {"organisation": "penalty_org", "person": "penalty_person", "individual": "penalty_individual"}[kind]


def numbered_decision(c: Case) -> tuple[list, str]:
    """The same decision with 一、二、 section headings and （一）1. items."""
    rng = c.rng
    story = tell(c, rng.choice(PARTY_KINDS))
    headings = rng.choice((
        ("一、当事人基本情况", "二、违法事实", "三、证据", "四、处罚依据及处罚决定", "五、履行方式和期限", "六、救济途径"),
        ("一、当事人", "二、违法事实和证据", "", "三、行政处罚的依据和内容", "四、罚款的缴纳", "五、申请行政复议或者提起行政诉讼的途径和期限"),
    ))
    pieces = [heading(c, "行政处罚决定书", story.code), headings[0], NL, party_block(c), headings[1], NL,
              facts(c, story, numbered=True)]
    if headings[2]:
        pieces += [headings[2], NL]
    pieces += [evidence(c, story), headings[3], NL, reasons(c, story), decision(c, story)]
    if story.fine:
        pieces += [headings[4], NL, payment(c, story)]
    pieces += [headings[5], NL, remedies(c), contacts(c), signature(c)]
    return pieces, "numbered"


# --- 当场行政处罚决定书 (简易程序) ----------------------------------------------------------------

def on_the_spot(c: Case) -> tuple[list, str]:
    rng = c.rng
    kind = rng.choice(("organisation", "individual", "person", "person"))
    city = c.agency.county.city
    when = [c.date(c.found), rng.choice(("10时20分", "9时05分", "15时40分", "下午3时", "上午"))]
    if kind == "person":
        p = c.person_party().person
        place = c.hospital() + rng.choice(("门诊候诊区", "住院部电梯间", "急诊大厅"))
        violation = ["当事人在", place, "吸烟，经执法人员劝阻后仍不改正"]
        violated, basis = "《公共场所卫生管理条例实施细则》第十八条第一款", f"《{city}控制吸烟条例》第二十七条第一款"
        fine = rng.choice((50, 100, 200))
        party = rng.choice((
            ["当事人", colon(c), c.operator_name(), "    性别", colon(c), p.sex, "    年龄", colon(c), f"{p.age}", NL,
             identity(c, p), NL, home(c, p), NL, phone(c, p), NL],
            ["当事人：", c.operator_name(), "（", sex_age(c, p), "），", identity(c, p), "，", phone(c, p), "。", NL],
        ))
        penalties = ["☑罚款", c.money(fine)]
    else:
        if kind == "organisation":
            business = rng.choice(("宾馆", "浴池", "美发店", "足疗店", "健身会所"))
            c.organisation_party(lambda c, head: f"{c.agency.county.prefix}{rng.choice(BRANDS)}{business}")
        else:
            c.individual_party(rng.choice(("理发店", "旅馆", "浴室")))
        worker = c.third_party(pseudonym=rng.random() < 0.3)
        violation, violated, basis = rng.choice((
            (["当事人未在经营场所醒目位置公示卫生许可证和卫生信誉度等级"], "《公共场所卫生管理条例实施细则》第二十五条",
             "《公共场所卫生管理条例实施细则》第三十七条第（六）项"),
            (["当事人安排未取得有效健康合格证明的从业人员", remove("name", worker.name), "从事直接为顾客服务的工作"],
             "《公共场所卫生管理条例实施细则》第十条第一款", "《公共场所卫生管理条例实施细则》第三十八条"),
            (["当事人经营场所室内未设置醒目的禁止吸烟警语和标志"], "《公共场所卫生管理条例实施细则》第十八条第二款",
             "《公共场所卫生管理条例实施细则》第三十七条"),
        ))
        fine = rng.choice((500, 800, 1000, 2000, 3000))
        party = ["当事人", colon(c), c.party_name(), NL, "统一社会信用代码", colon(c), c.uscc_of_party(), NL,
                 "地址", colon(c), c.party_address(), NL,
                 ("法定代表人" if kind == "organisation" else "经营者"), colon(c),
                 c.head() if kind == "organisation" else c.operator_name(),
                 ["    ", phone(c, c.party.person)] if kind == "individual" else None, NL]
        penalties = rng.choice((["☑警告  ☑罚款", c.money(fine)], ["警告，并处罚款", c.money(fine)]))
    pieces = [
        heading(c, "当场行政处罚决定书", rng.choice(("当罚", "简罚", "罚当")), number_label=True),
        party,
        "违法事实：", when, "，执法人员", c.officer_names(), "在检查时发现，", violation, "。以上事实有现场笔录",
        rng.choice(("及现场照片", "和执法记录仪视频", "")), "为证。", NL,
        "处罚依据及内容：当事人的上述行为违反了", c.statute(violated), "的规定，依据", c.statute(basis), "的规定，决定给予当事人",
        penalties, "的行政处罚。", NL,
        "罚款的履行方式和期限：", rng.choice((
            ["☑当场缴纳  □自收到本决定书之日起", keep("plain", "十五日内"), "缴至指定银行"],
            ["□当场缴纳  ☑自收到本决定书之日起", keep("plain", "十五日内"), "缴至指定银行或通过电子支付系统缴纳"])), NL,
        "救济途径：", remedies(c),
        "执法人员（签名）：", NL,
    ]
    for i in range(len(c.officers)):
        pieces += [c.officer(i), "    ", rng.choice(("执法证号：", "执法证件编号：", "证号：")), c.certificate(i), NL]
    pieces += ["当事人（签名）：", rng.choice(("", "（拒签）")), "        ", c.date(c.found), NL, c.agency.name, NL]
    return pieces, "on_the_spot"


# --- 不予行政许可 / 准予行政许可 ---------------------------------------------------------------------

@dataclass(frozen=True)
class Programme:
    """One kind of permit: who applies for it, under which articles, and why it may be refused."""

    permit: str
    businesses: tuple[str, ...]  # what the applicant's name ends with
    person_may_apply: bool  # a natural person may apply (an individual clinic, a barber)
    grant_statute: str
    refuse_statutes: tuple[str, ...]
    items: tuple[str, ...]
    number: Callable[[Case], str]
    refusals: Callable[[Case, Person], list]


def _public_place_number(c: Case) -> str:
    n = c.rng.randint(1, 2999)
    return c.rng.choice((f"{_province_short(c)}卫公证字〔{c.year}〕第{n:04d}号", f"（{c.year}）{c.agency.short}卫公字第{n:06d}号"))


def _public_place_refusals(c: Case, worker: Person) -> list:
    return c.rng.choice((
        ["申请人提交的集中空调通风系统卫生检测报告（报告编号：", c.batch(), "）显示冷却水中检出嗜肺军团菌"],
        ["经营场所未设置独立的布草间和公共用品用具清洗消毒间"],
        ["申请材料中从业人员", name_list(c, [worker, c.third_party(pseudonym=True)]), "未取得有效的健康合格证明"],
        ["拟从事直接为顾客服务工作的", introduce(c, "", worker, detail=3), "提交的健康合格证明系伪造"],
    ))


def _clinic_refusals(c: Case, doctor: Person) -> list:
    return c.rng.choice((
        ["申请材料中拟聘用的执业医师", c.name_of(doctor), bracketed_identity(c, doctor), "已在", c.hospital(), "注册执业，未办理变更注册手续"],
        ["拟设机构的诊室使用面积不足", keep("plain", "10平方米"), "，且未设置独立的处置室"],
        ["申请材料中", c.name_of(doctor), "的医师执业证书信息与国家医师电子注册系统记载不符，", c.name_of(doctor),
         "本人（", phone(c, doctor), "）亦表示未同意在该机构执业"],
    ))


def _radiation_refusals(c: Case, worker: Person) -> list:
    return c.rng.choice((
        ["拟从事放射工作的", introduce(c, "", worker, detail=c.rng.choice((0, 3))), "未取得放射工作人员证"],
        ["申请人提交的放射防护检测报告（报告编号：", c.batch(), "）显示机房西墙外", keep("plain", "30cm"), "处周围剂量当量率超过控制值"],
    ))


def _water_refusals(c: Case, worker: Person) -> list:
    return c.rng.choice((
        ["申请人提交的水质检验报告（样品编号：", c.batch(), "）显示出厂水浑浊度为", keep("plain", "1.6NTU"), "，不符合卫生标准"],
        ["直接从事供、管水工作的", name_list(c, [worker, c.third_party()]), "未取得健康合格证明"],
    ))


def _disinfection_refusals(c: Case, worker: Person) -> list:
    return c.rng.choice((
        ["生产车间未按工艺流程分区，灌装间与外包装间未有效分隔"],
        ["申请人提交的产品检验报告（样品编号：", c.batch(), "）中杀灭率指标不符合要求"],
    ))


PROGRAMMES = (
    Programme("公共场所卫生许可证", ("宾馆有限公司", "游泳健身有限公司", "美发店", "洗浴中心", "足浴店"), True,
              "《公共场所卫生管理条例实施细则》第二十二条", ("《公共场所卫生管理条例实施细则》第二十二条第二款",
                                                             "《公共场所卫生管理条例》第八条"),
              ("住宿", "住宿、沐浴", "美容美发", "游泳场所", "沐浴"), _public_place_number, _public_place_refusals),
    Programme("医疗机构执业许可证", ("诊所", "口腔门诊部有限公司", "中医诊所", "综合门诊部有限公司"), True,
              "《医疗机构管理条例》第十六条", ("《医疗机构管理条例》第十一条", "《医疗机构管理条例实施细则》第十二条第（三）项"),
              ("内科、外科", "口腔科", "中医科", "内科、外科、口腔科、医学检验科"),
              lambda c: numbers.practice_licence(c.rng, c.agency.county.region), _clinic_refusals),
    Programme("放射诊疗许可证", ("医院有限公司", "口腔门诊部有限公司"), False,
              "《放射诊疗管理规定》第十二条", ("《放射诊疗管理规定》第七条",), ("X射线影像诊断", "口腔CT", "X射线影像诊断、介入放射学"),
              lambda c: f"{_province_short(c)}卫放证字（{c.year}）第{c.agency.county.region}{c.rng.randint(1, 999):03d}号",
              _radiation_refusals),
    Programme("供水单位卫生许可证", ("自来水有限公司", "供水站", "水务有限公司"), False,
              "《生活饮用水卫生监督管理办法》第七条", ("《生活饮用水卫生监督管理办法》第七条",), ("集中式供水", "二次供水"),
              lambda c: f"{_province_short(c)}卫水字（{c.year}）第{c.rng.randint(1, 999):03d}号", _water_refusals),
    Programme("消毒产品生产企业卫生许可证", ("消毒用品有限公司", "卫生用品有限公司"), False,
              "《消毒管理办法》第二十条", ("《消毒管理办法》第二十条", "《消毒产品生产企业卫生规范》第十条"),
              ("消毒剂（液体）", "卫生用品（湿巾）", "抗（抑）菌制剂"),
              lambda c: f"{_province_short(c)}卫消证字〔{c.year}〕第{c.rng.randint(1, 2999):04d}号", _disinfection_refusals),
)


def _applicant(c: Case, programme: Programme) -> tuple[str, list]:
    """Draws the applicant and returns (how the document addresses it, its particulars)."""
    rng = c.rng
    county = c.agency.county
    if programme.person_may_apply and rng.random() < 0.4:
        p = c.person_party().person
        delivery = None
        if rng.random() < 0.4:
            delivery = ["电子送达地址", colon(c), remove("email", numbers.email(rng)), NL]
        elif rng.random() < 0.3:
            delivery = [rng.choice(("QQ", "QQ号")), colon(c), remove("qq", numbers.qq_number(rng)), NL]
        return "你", [rng.choice(("申请人", "申请人姓名")), colon(c), c.operator_name(), NL, identity(c, p), NL, home(c, p), NL,
                      phone(c, p), NL, delivery]
    business = rng.choice(programme.businesses)
    c.organisation_party(lambda c, head: rng.choice((
        f"{county.prefix}{rng.choice(BRANDS)}{business}",
        f"{county.prefix}{rng.choice(county.towns)}{head}{business}" if business.endswith(("诊所", "店")) else
        f"{county.city}{rng.choice(BRANDS)}{business}")))
    o = c.party.organisation
    return "你单位", ["申请人", colon(c), c.party_name(), NL, "统一社会信用代码", colon(c), c.uscc_of_party(), NL,
                      rng.choice(("住所", "地址")), colon(c), c.party_address(), NL, o.head_title, colon(c), c.head(), NL]


def licence_refused(c: Case) -> tuple[list, str]:
    rng = c.rng
    programme = rng.choice(PROGRAMMES)
    you, particulars = _applicant(c, programme)
    applied = c.found
    reason = programme.refusals(c, c.third_party(age=(24, 60)))
    addressee = c.party_name() if c.party.kind == "organisation" else c.operator_name()
    pieces = [
        heading(c, "不予行政许可决定书", rng.choice(("不许", "许不", "审不"))),
        rng.choice((particulars, [addressee, "：", NL], [particulars, addressee, "：", NL])),
        you, "于", c.date(applied), "提出的", programme.permit, rng.choice(("核发", "校验", "变更", "延续")), "申请，本机关已于",
        c.date(applied + datetime.timedelta(days=rng.randint(0, 4))), "依法受理。经审查，", reason, "，不符合",
        c.statute(rng.choice(programme.refuse_statutes)), "规定的条件。", NL,
        "根据", c.statute("《中华人民共和国行政许可法》第三十八条第二款"), "的规定，本机关决定不予行政许可。", NL,
        rng.choice(("", [you, "可在消除上述情形后重新提出申请。", NL])),
        "如不服本决定，可以在收到本决定书之日起六十日内向", c.agency.review_body, "申请行政复议，或者在六个月内向", c.agency.court,
        "提起行政诉讼。", NL,
        contacts(c) if rng.random() < 0.7 else None,
        signature(c, c.found + datetime.timedelta(days=rng.randint(5, 20))),
    ]
    return pieces, "licence_refused"


def licence_granted(c: Case) -> tuple[list, str]:
    rng = c.rng
    programme = rng.choice(PROGRAMMES)
    you, particulars = _applicant(c, programme)
    granted = c.found + datetime.timedelta(days=rng.randint(5, 20))
    expiry = granted.replace(year=granted.year + rng.choice((4, 5)))
    pieces = [
        heading(c, "准予行政许可决定书", rng.choice(("许", "准许", "审准"))),
        particulars,
        you, "于", c.date(c.found), "提出的", programme.permit, "申请，经审查，符合", c.statute(programme.grant_statute),
        "规定的条件，根据", c.statute("《中华人民共和国行政许可法》第三十八条第一款"), "的规定，决定准予行政许可。", NL,
        rng.choice(("许可证号", "证件编号", "许可证编号", "登记号")), colon(c), keep("license_number", programme.number(c)), NL,
        "许可项目", colon(c), rng.choice(programme.items), NL,
        "有效期限", colon(c), c.date(granted), "至", c.date(expiry), NL,
        ["经营场所", colon(c), c.party_address(), NL] if c.party.kind == "organisation" and rng.random() < 0.5 else None,
        "请于", c.date(granted + datetime.timedelta(days=10)), "前凭本决定书到", c.agency.name, "政务服务窗口领取许可证件。", NL,
        contacts(c),
        signature(c, granted),
    ]
    return pieces, "licence_granted"


# --- 查封、扣押决定书 (行政强制) --------------------------------------------------------------------

# The stories in which something is taken away: each has a list of seized things.
SEIZING_STORIES = (unlicensed_practice, beauty_without_licence, disinfection_products, fetal_sex_determination,
                   radiation_without_licence)


def seizure(c: Case) -> tuple[list, str]:
    rng = c.rng
    story_fn = rng.choice(SEIZING_STORIES)
    kinds = [k for k, fns in STORIES.items() if story_fn in fns]
    story = story_fn(c, rng.choice(kinds))
    seized = list(story.seized)
    if c.party.kind == "person" and rng.random() < 0.7:
        seized.append(["车牌号为", remove("plate", numbers.plate(rng)), "的", rng.choice(("白色面包车", "银色小型轿车", "电动三轮车")),
                       "一辆"])
    action = rng.choice(("查封", "扣押", "查封（扣押）"))
    start = c.found
    end = start + datetime.timedelta(days=29)
    pieces = [
        heading(c, f"{action}决定书", rng.choice(("强", "强制", "扣", "封"))),
        party_block(c),
        "经查，", party_again(c), "涉嫌", story.summary, "。", without_opening(story.facts[0], "经查，"), NL,
        "依据", c.statute("《中华人民共和国行政强制法》第二十二条"), "、", c.statute("第二十四条"), "及", story.basis[0],
        "的规定，本机关决定对", rng.choice(("你", "你（单位）")), "的下列场所、设施或者财物予以", action, "：", NL,
    ]
    for i, item in enumerate(seized):
        pieces += [f"{i + 1}{rng.choice(('.', '、'))}", item, "；" if i < len(seized) - 1 else "。", NL]
    pieces += [
        rng.choice(("（详见《查封（扣押）物品清单》）", "")), NL,
        action, "期限为", keep("plain", "三十日"), "，自", c.date(start), "至", c.date(end),
        "。情况复杂的，经本机关负责人批准可以延长，但延长期限不超过三十日。", NL,
        action, "的财物存放于", rng.choice((["本机关物证保管室（", c.office_address(), "）"], ["原地，由当事人负责保管，不得使用、销毁或者转移"])),
        "。", NL,
        "如不服本决定，可以在收到本决定书之日起六十日内向", c.agency.review_body, "申请行政复议，或者在六个月内向", c.agency.court,
        "提起行政诉讼。", NL,
        "执法人员：", c.officers_with_certificates(), NL,
        contacts(c) if rng.random() < 0.5 else None,
        signature(c, start),
    ]
    return pieces, "seizure"


# --- 卫生监督意见书 ----------------------------------------------------------------------------

def _clinic_findings(c: Case, worker: Person, patient: Person) -> tuple[list, str]:
    """(finding, the advice it calls for) pairs, and the article the advice rests on."""
    rng = c.rng
    findings = [
        (["医疗废物暂存间未设置警示标识，医疗废物交接登记不全；"], "规范医疗废物分类收集和交接登记，暂存间设置警示标识；"),
        (["消毒记录不完整，", c.date(c.day(-20, -5)), "至", c.date(c.day(-4, -1)), "未见紫外线灯消毒记录；"],
         "按规定开展消毒工作并如实记录；"),
        (["门诊日志登记项目不全，患者", c.name_of(patient), "（", rng.choice(("门诊号", "病历号")),
          remove("medical_record", numbers.medical_record_number(rng, c.year)), "）的就诊记录未填写",
          rng.choice(("初步诊断", "联系方式", "住址")), "；"], "完善门诊日志登记，做到项目齐全；"),
        (["医保结算清单中患者", c.name_of(patient), "（", rng.choice(("医保卡号", "社保卡号：")),
          remove("social_security", numbers.social_security_number(rng, patient.county.region)), "）的诊疗项目与病历记载不一致；"],
         "规范医保结算，确保诊疗记录与结算项目一致；"),
        (["传染病疫情登记本中患者", c.name_of(patient), "（", _diagnosis_phrase(c), "）的报告时间未记录；"],
         "完善传染病疫情登记和报告制度；"),
        (["护理人员", c.name_of(worker), "未取得护士执业证书，在输液室从事静脉输液工作；"],
         "立即停止安排未取得护士执业证书的人员从事护理活动；"),
        (["药房内", keep("plain", "3盒"), "阿莫西林胶囊（批号", c.batch(), "）已过有效期，未及时清理；"],
         "清理过期药品，建立药品效期管理制度；"),
    ]
    statute = rng.choice(("《医疗废物管理条例》第十七条", "《消毒管理办法》第四条", "《中华人民共和国传染病防治法》第三十条",
                          "《医疗机构管理条例实施细则》第五十三条"))
    return findings, statute


def _venue_findings(c: Case, worker: Person, patient: Person) -> tuple[list, str]:
    rng = c.rng
    findings = [
        (["从业人员", c.name_of(worker), "的健康合格证明已于", c.date(c.day(-60, -5)), "过期，仍在岗从事直接为顾客服务工作；"],
         "立即停止安排未取得有效健康合格证明的人员上岗；"),
        (["布草间清洁与污染布草混放；"], "清洁布草与污染布草分区存放；"),
        (["公共用品用具清洗消毒记录不全，", keep("plain", "三楼"), "工作间未配备消毒柜；"],
         "公共用品用具做到一客一换一消毒，并做好记录；"),
        (["未在醒目位置公示卫生许可证和卫生信誉度等级；"], "在经营场所醒目位置公示卫生许可证；"),
        (["顾客", c.name_of(patient), "（", phone(c, patient), "）投诉反映的拖鞋重复使用问题属实；"],
         "拖鞋等用品一客一换，不得重复使用；"),
    ]
    statute = rng.choice(("《公共场所卫生管理条例实施细则》第十条", "《公共场所卫生管理条例实施细则》第十四条",
                          "《公共场所卫生管理条例实施细则》第二十五条"))
    return findings, statute


def _pool_findings(c: Case, worker: Person, patient: Person) -> tuple[list, str]:
    rng = c.rng
    findings = [
        (["池水游离性余氯检测值为", keep("plain", rng.choice(("0.2mg/L", "0.15mg/L", "0.1mg/L"))), "，低于标准要求；"],
         "立即对池水进行消毒处理，确保游离性余氯符合标准；"),
        (["强制通过式浸脚池池水余氯浓度不足；"], "每日更换浸脚池池水并做好记录；"),
        (["救生员", c.name_of(worker), "未取得健康合格证明；"], "安排救生员等从业人员进行健康检查；"),
        (["水质自检记录中", c.date(c.day(-10, -1)), "的", keep("plain", "一组数据"), "缺失；"], "按规定开展水质自检并完整记录；"),
        (["泳池水温", keep("plain", "29.5℃"), "，未按规定张贴水质公示；"], "在入口处公示当日水质检测结果；"),
    ]
    return findings, rng.choice(("《公共场所卫生管理条例实施细则》第十二条", "《公共场所卫生管理条例》第三条"))


OPINION_DOMAINS = {
    "clinic": (("医院有限公司", "诊所", "口腔门诊部"), ("诊所", "中医诊所"), _clinic_findings),
    "venue": (("宾馆有限公司", "快捷酒店", "洗浴中心"), ("理发店", "浴室", "旅馆"), _venue_findings),
    "pool": (("游泳馆", "游泳健身有限公司"), ("游泳馆",), _pool_findings),
}


def supervision_opinion(c: Case) -> tuple[list, str]:
    rng = c.rng
    domain = rng.choice(sorted(OPINION_DOMAINS))
    businesses, shops, findings_of = OPINION_DOMAINS[domain]
    if rng.random() < 0.3:
        c.individual_party(rng.choice(shops))
        head = c.operator_name()
        head_phone = remove("phone", c.party.person.phone)
    else:
        c.organisation_party(lambda c, head: f"{c.agency.county.prefix}{rng.choice(BRANDS)}{rng.choice(businesses)}")
        head = c.head()
        head_phone = remove("phone", numbers.mobile(rng))
    worker = c.third_party(pseudonym=rng.random() < 0.4)
    patient = c.third_party()
    findings, statute = findings_of(c, worker, patient)
    findings = rng.sample(findings, k=rng.randint(2, 4))
    pieces = [
        heading(c, "卫生监督意见书", rng.choice(("意", "监意", "监督意见"))),
        rng.choice(("被监督单位", "被监督单位（人）", "被检查单位")), colon(c), c.party_name(), NL,
        "地址", colon(c), c.party_address(), NL,
        rng.choice(("法定代表人（负责人）", "负责人")), colon(c), head, "    联系电话", colon(c), head_phone, NL,
        "统一社会信用代码", colon(c), c.uscc_of_party(), NL,
        "监督意见：", NL,
        c.date(c.found), "，本机关卫生监督员", c.officer_names(), "对", rng.choice(("你单位", "你（单位）")),
        "进行了卫生监督检查，发现存在以下问题：", NL,
    ]
    for i, (finding, _) in enumerate(findings):
        pieces += [f"{'一二三四'[i]}、", finding, NL]
    pieces += ["根据", c.statute(statute), "的规定，现提出如下意见：", NL]
    for i, (_, advice) in enumerate(findings):
        pieces += [f"{i + 1}.", advice, NL]
    pieces += [
        f"{len(findings) + 1}.于", c.date(c.day(10, 20)), "前完成整改，并将整改情况书面报告本机关；逾期未整改或者", keep("plain", "第二次"),
        "检查仍未整改的，本机关将依法处理。", NL,
        "被监督单位签收：", rng.choice(("", "（签名）")), NL,
        "卫生监督员：", c.officers_with_certificates(rng.choice(("、", "    "))), NL,
        signature(c, c.found),
    ]
    return pieces, "supervision_opinion"


def _diagnosis_phrase(c: Case) -> list:
    return [c.rng.choice(("诊断为", "确诊为", "患有")), remove("health", c.rng.choice(DIAGNOSES))]


# --- tables -------------------------------------------------------------------------------------

def _separator(c: Case) -> str:
    return c.rng.choice(("｜", "|", "\t", " │ ", " | "))


PATIENT_ROLES = ("患者", "游泳者", "投诉人")
WORKER_ROLES = ("从业人员", "员工", "劳动者", "操作人员")


def table_rows(c: Case) -> tuple[list, str]:
    """A decision with a table of the persons involved (and the party itself in table form)."""
    rng = c.rng
    kind = rng.choice(PARTY_KINDS)
    story = tell(c, kind)
    bar = _separator(c)
    patients = [p for role, p in story.people if role == "患者" or (role in PATIENT_ROLES and p.diagnosis)]
    workers = [(role, p) for role, p in story.people if role in WORKER_ROLES]
    tables = ["persons"] + (["patients"] * 2 if patients else []) + (["workers"] * 2 if workers else [])
    table_kind = rng.choice(tables)
    if table_kind == "persons":
        rows = [[bar.join(("序号", "姓名", "性别", "身份证号码", "住址", "联系电话")), NL]]
        if c.party.kind == "person":
            p = c.party.person
            rows.append(["当事人", bar, c.operator_name(), bar, p.sex, bar, remove("id_number", p.id_number), bar,
                         remove("address", p.address), bar, remove("phone", p.phone), NL])
        for i, (_, p) in enumerate(story.people):
            rows.append([str(i + 1), bar, c.name_of(p), bar, p.sex, bar,
                         remove("passport", p.travel_number) if p.travel_number else remove("id_number", p.id_number), bar,
                         remove("address", p.address), bar, remove("phone", p.phone), NL])
        title = rng.choice(("涉案人员信息表", "附表：相关人员情况", "涉案人员一览表"))
    elif table_kind == "patients":
        rows = [[bar.join(("序号", "姓名", "性别", "年龄", "就诊日期", "病历号", "诊断")), NL]]
        for i, p in enumerate(patients):
            p.record = p.record or numbers.medical_record_number(rng, c.year)
            p.diagnosis = p.diagnosis or rng.choice(DIAGNOSES)
            rows.append([str(i + 1), bar, c.name_of(p), bar, p.sex, bar, f"{p.age}", bar, c.date(c.day(-60, -1)), bar,
                         remove("medical_record", p.record), bar, remove("health", p.diagnosis), NL])
        title = rng.choice(("就诊人员情况一览表", "附表：就诊人员信息"))
    else:
        rows = [[bar.join(("姓名", "岗位", "身份证号", "健康检查情况")), NL]]
        for role, p in workers:
            post = rng.choice({"劳动者": ("打磨工", "切割工", "破碎工"), "操作人员": ("放射技师", "影像技师")}.get(
                role, ("服务员", "保洁员", "前台", "技师")))
            rows.append([c.name_of(p), bar, post, bar, remove("id_number", p.id_number), bar,
                         rng.choice(("未体检", "已过期", "无")), NL])
        title = rng.choice(("从业人员健康检查情况核查表", "相关人员情况表"))
    if c.party.kind == "organisation":
        o = c.party.organisation
        party = [bar.join(("项目", "内容")), NL, "当事人名称", bar, c.party_name(), NL, "统一社会信用代码", bar, c.uscc_of_party(), NL,
                 "住所", bar, c.party_address(), NL, o.head_title, bar, c.head(), NL]
    else:
        party = party_block(c)
    pieces = [heading(c, "行政处罚决定书", story.code), party, facts(c, story), NL, title, NL, rows, NL, evidence(c, story),
              reasons(c, story), decision(c, story), payment(c, story), remedies(c), contacts(c), signature(c)]
    return pieces, "table_rows"


def table_fields(c: Case) -> tuple[list, str]:
    """A 行政处罚决定信息公开表 or 案件信息表: one 项目：值 per line."""
    rng = c.rng
    kind = rng.choice(PARTY_KINDS)
    story = tell(c, kind)
    sep = rng.choice(("：", ":", "：", "｜"))
    title = rng.choice(("行政处罚决定信息公开表", "行政处罚案件信息表", "行政处罚决定书（摘要）"))
    lines = [[title, NL], ["行政处罚决定书文号", sep, c.doc_number(story.code), NL],
             ["案件名称", sep, c.party_name() if c.party.kind != "person" else c.operator_name(), story.summary, "案", NL]]
    if c.party.kind == "person":
        p = c.party.person
        lines += [["违法自然人姓名", sep, c.operator_name(), NL],
                  ["证件类型", sep, p.travel_label or "居民身份证", NL],
                  ["证件号码", sep, remove("passport", p.travel_number) if p.travel_number else remove("id_number", p.id_number), NL],
                  ["住址", sep, remove("address", p.address), NL], ["联系方式", sep, remove("phone", p.phone), NL]]
        if rng.random() < 0.4:
            lines.append(["电子邮箱", sep, remove("email", numbers.email(rng)), NL])
    else:
        lines += [["违法单位名称", sep, c.party_name(), NL], ["统一社会信用代码", sep, c.uscc_of_party(), NL],
                  ["住所（经营场所）", sep, c.party_address(), NL]]
        if c.party.kind == "organisation":
            lines += [["法定代表人", sep, c.head(), NL]]
            if c.party.organisation.account:
                lines += [["开户银行及账号", sep, c.party.organisation.bank, " ",
                           remove("bank_account", c.party.organisation.account), NL]]
        else:
            p = c.party.person
            lines += [["经营者", sep, c.operator_name(), NL], ["经营者身份证号", sep, remove("id_number", p.id_number), NL]]
    lines += [["主要违法事实", sep, story.facts[0], NL],
              ["违反的法律条款", sep, story.violated, NL],
              ["处罚依据", sep, story.basis, NL],
              ["处罚内容", sep, [[item, "；"] for item in story.penalties], NL],
              ["处罚机关", sep, c.agency.name, NL],
              ["处罚决定日期", sep, c.date(c.decided), NL],
              ["承办人", sep, c.officer_names(), NL],
              [c.rng.choice(("处罚机关联系电话", "承办机构电话")), sep, c.office_phone(), NL]]
    if rng.random() < 0.4:  # some forms put the deciding agency first
        agency_lines = lines[-4:]
        lines = lines[:2] + agency_lines + lines[2:-4]
    return lines, "table_fields"


FAMILIES = (penalty_decision, penalty_decision, numbered_decision, on_the_spot, licence_refused, licence_granted, seizure,
            supervision_opinion, table_rows, table_fields)
