"""What happened: one kind of violation per story, each with its own parties, facts, evidence,
laws and penalties. A document family (general-procedure decision, on-the-spot decision,
seizure decision…) takes a story and lays it out in its own way."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import numbers
from .case import BRANDS, Case, Person
from .data import DIAGNOSES, SYMPTOMS, TREATMENTS
from .marks import keep, remove
from .phrases import bracketed_identity, contact, home, identity, introduce, name_list, phone, sex_age

@dataclass
class Story:
    code: str  # the middle of the document number: 医罚, 公罚 …
    summary: str  # the violation in a few words, for forms and opinions
    facts: list  # paragraphs, each a list of pieces
    violated: list  # statute marks
    basis: list  # statute marks
    penalties: list  # items, each a list of pieces
    evidence: list  # items, each a list of pieces
    fine: int = 0
    seized: list = field(default_factory=list)  # items a seizure decision lists
    people: list = field(default_factory=list)  # (role, Person) of the third parties


def _pick(c: Case, *options):
    return c.rng.choice(options)


def _count(c: Case, low: int, high: int, unit: str) -> object:
    return keep("plain", f"共计{c.rng.randint(low, high)}{unit}")


def _clinic_name(c: Case, head: str) -> str:
    county = c.agency.county
    return _pick(c,
                 f"{county.prefix}{c.rng.choice(county.towns)}{head}诊所",
                 f"{county.prefix}{c.rng.choice(BRANDS)}医院有限公司",
                 f"{county.prefix}{c.rng.choice(BRANDS)}口腔门诊部",
                 f"{county.prefix}{c.rng.choice(BRANDS)}中医诊所",
                 f"{county.prefix}{c.rng.choice(county.towns)}卫生院",
                 f"{county.city}{c.rng.choice(BRANDS)}综合门诊部有限公司")


def _venue_name(c: Case, head: str) -> str:
    county = c.agency.county
    return _pick(c,
                 f"{county.city}{c.rng.choice(BRANDS)}宾馆有限公司",
                 f"{county.prefix}{c.rng.choice(BRANDS)}快捷酒店",
                 f"{county.prefix}{c.rng.choice(BRANDS)}洗浴中心",
                 f"{county.prefix}{c.rng.choice(BRANDS)}足浴店",
                 f"{county.prefix}{c.rng.choice(BRANDS)}美发店")


def _diagnosis(c: Case, disease: str | None = None, *, after_hospital: bool = False, of: Person | None = None,
               verb: str | None = None) -> list:
    """「诊断为…」: the disease words are the `health` span. After 「经某医院」 only a bare verb fits."""
    if not verb:
        verb = (_pick(c, "诊断为", "确诊为") if after_hospital else
                _pick(c, "诊断为", "确诊为", "被诊断为", "经诊断患有", "患有", "初步诊断为"))
    disease = disease or c.rng.choice(DIAGNOSES)
    if of is not None:
        of.diagnosis = disease
    return [verb, remove("health", disease)]


def _record(c: Case, of: Person | None = None) -> list:
    label = _pick(c, "门诊号：", "门诊号", "病历号：", "病历号为", "住院号：", "住院号", "病案号：")
    number = numbers.medical_record_number(c.rng, c.year)
    if of is not None:
        of.record = number
    return [label, remove("medical_record", number)]


def _insurance(c: Case, p: Person) -> list:
    label = _pick(c, "社保卡号：", "社会保障卡号：", "医保卡号：", "医保卡号为", "社会保障卡卡号", "医疗保险卡号：")
    return [label, remove("social_security", numbers.social_security_number(c.rng, p.county.region))]


def _penalty_statute_pair(c: Case, violated: str, basis: str) -> tuple[list, list]:
    return [c.statute(violated)], [c.statute(basis)]


# --- the stories ------------------------------------------------------------------------------

def unlicensed_practice(c: Case, kind: str) -> Story:
    """A person runs an unlicensed clinic at home (非法行医)."""
    rng = c.rng
    p = c.person_party(age=(38, 72)).person
    patient = c.third_party()
    relative = c.third_party()
    treatment = rng.choice(TREATMENTS[:5])
    income = rng.randint(8, 90) * 100
    fine = rng.choice((50000, 60000, 80000, 100000))
    start = c.found.replace(day=1, month=max(1, c.found.month - rng.randint(1, 6)))
    facts = []
    facts.append(_pick(c,
        [c.date(c.found), "，本机关执法人员接群众举报，对当事人", c.operator_name(), "位于", remove("address", p.address),
         "的家中进行检查。现场发现当事人正在为患者", c.name_of(patient), "（", sex_age(c, patient), "）进行", treatment,
         "，室内摆放有输液架、听诊器、血压计及头孢类、地塞米松等药品，", _count(c, 20, 90, "盒"),
         "。当事人不能出示《医疗机构执业许可证》，亦不能出示医师资格证书和医师执业证书。"],
        ["经查，当事人", c.operator_name(), "未取得医师资格及《医疗机构执业许可证》，自", c.date(start), "起在",
         rng.choice(p.county.towns), "其租住的民房内为附近群众看病、开药、输液。", c.date(c.found), "，当事人为患者",
         introduce(c, "", patient, detail=rng.randint(1, 3)), "进行", treatment, "，收取费用", c.money(rng.randint(60, 400)),
         "。"],
        ["本机关于", c.date(c.found), "接到", introduce(c, "举报人", relative, detail=2), "的电话举报，称当事人在家中非法行医。"
         "执法人员当日赶赴现场，当事人", c.operator_name(), "正在为", c.name_of(patient), "输液，", c.name_of(patient),
         "自述因", rng.choice(SYMPTOMS), "已连续在此输液", keep("plain", f"{rng.choice(('三', '四', '五'))}天"), "。"],
    ))
    facts.append(_pick(c,
        ["经调查，患者", c.name_of(patient), "于", c.date(c.day(-20, -2)), "在", c.hospital(),
         _diagnosis(c, after_hospital=True, of=patient),
         "，", _record(c, of=patient), "。当事人明知其病情，仍擅自为其", treatment, "。"],
        ["当事人通过微信号“", remove("wechat", numbers.wechat_id(rng)), "”在朋友圈发布“专治颈肩腰腿痛”等内容招揽患者，并驾驶车牌号为",
         remove("plate", numbers.plate(rng)), "的面包车上门为患者输液。"],
        ["当事人的收费通过其本人银行卡收取，账号为", remove("bank_account", numbers.written_account(rng, numbers.bank_card(rng))),
         "，经核对流水，", c.date(start), "至", c.date(c.found), "期间收取诊疗费用", c.money(income), "。"],
        ["当事人称其为", c.name_of(patient), "等人诊疗所得费用共", c.money(income), "，对违法事实无异议。患者家属",
         c.name_of(relative), "（", contact(c, relative), "）证实了上述情况。"],
        ["患者", c.name_of(patient), "称其曾持本人医保卡（", _insurance(c, patient), "）要求结算，当事人以“诊所未开通医保”为由收取现金。"],
    ))
    evidence = [
        ["现场检查笔录1份"],
        ["对当事人", c.operator_name(), "的询问笔录", keep("plain", _pick(c, "2份", "二份", "3份"))],
        ["对患者", c.name_of(patient), "的询问笔录1份"],
        ["现场照片", keep("plain", f"{rng.randint(6, 30)}张")],
        ["当事人身份证复印件1份"],
        ["先行登记保存物品清单1份"],
    ]
    rng.shuffle(evidence[2:])
    violated, basis = _penalty_statute_pair(
        c, _pick(c, "《医疗机构管理条例》第二十三条第一款", "《中华人民共和国基本医疗卫生与健康促进法》第三十八条第一款"),
        "《中华人民共和国基本医疗卫生与健康促进法》第九十九条第一款")
    penalties = [
        ["责令停止执业活动"],
        ["没收违法所得", c.money(income)],
        ["没收药品、医疗器械（详见没收物品清单）"],
        ["罚款", c.money(fine)],
    ]
    seized = [
        ["输液架", keep("plain", "2个")],
        ["头孢曲松钠注射液（批号：", c.batch(), "）", _count(c, 10, 60, "支")],
        ["一次性使用输液器（批号", c.batch(), "）", _count(c, 20, 200, "套")],
    ]
    return Story("医罚", "未取得《医疗机构执业许可证》擅自执业", facts, violated, basis, penalties, evidence, fine, seized,
                 [("患者", patient), ("举报人", relative)])


def unqualified_staff(c: Case, kind: str) -> Story:
    """A clinic lets people without a licence practise (使用非卫生技术人员)."""
    rng = c.rng
    if kind == "individual":
        c.individual_party(rng.choice(("诊所", "中医诊所", "口腔诊所")))
    else:
        c.organisation_party(_clinic_name, licence=numbers.practice_licence(rng, c.agency.county.region))
    staff = c.third_party(age=(20, 45))
    second = c.third_party(age=(20, 45))
    patient = c.third_party()
    room = keep("plain", _pick(c, "三楼", "二楼", "一楼东侧", "2号"))
    fine = rng.choice((3000, 4000, 5000))
    nurse = rng.random() < 0.4
    facts = [_pick(c,
        [c.date(c.found), "，执法人员对当事人进行监督检查时发现，在该机构", room, "输液室" if nurse else "诊室", "内，",
         c.name_of(staff), "正在为患者", c.name_of(patient), "进行", "静脉输液" if nurse else rng.choice(TREATMENTS[:5]),
         "。经查，", introduce(c, "", staff, detail=3, bracketed=False),
         "，未取得", "护士执业证书" if nurse else "医师资格证书和医师执业证书", "，系当事人于", c.date(c.day(-200, -30)), "聘用的工作人员。"],
        ["经查，当事人于", c.date(c.day(-120, -40)), "至", c.date(c.found), "期间，安排未取得",
         "护士执业证书" if nurse else "医师执业证书", "的", name_list(c, [staff, second]), "在", room,
         "输液室从事静脉输液、肌肉注射等", "护理活动" if nurse else "诊疗活动", "。其中", c.name_of(staff), "系护理专业应届毕业生，",
         c.name_of(second), "系当事人", keep("legal_rep", c.party.organisation.head) if c.party.kind == "organisation"
         else c.operator_name(), "的亲属。"],
    )]
    facts.append(_pick(c,
        ["经调取当事人", c.date(c.day(-30, -1)), "的门诊日志，患者", c.name_of(patient), "（", _record(c, of=patient), "，",
         _insurance(c, patient), "）由", c.name_of(staff), "接诊，", _diagnosis(c, of=patient), "，并由其开具处方。"],
        ["当事人对上述事实予以承认，称", c.name_of(staff), "正在准备参加今年的资格考试，", c.name_of(staff),
         "本人亦承认其独立接诊过患者", keep("plain", f"{rng.randint(20, 300)}人次"), "。"],
        ["患者", introduce(c, "", patient, detail=2), "证实，其于", c.date(c.day(-15, -1)), "在当事人处就诊，接诊人员为",
         c.name_of(staff), "。"],
    ))
    if nurse:
        violated, basis = _penalty_statute_pair(c, "《护士条例》第二十一条第（一）项", "《护士条例》第二十八条第（二）项")
    else:
        violated, basis = _penalty_statute_pair(c, "《医疗机构管理条例》第二十七条", _pick(
            c, "《医疗机构管理条例》第四十七条", "《医疗机构管理条例实施细则》第八十一条第一款"))
    evidence = [
        ["现场笔录1份"], ["询问笔录", keep("plain", "3份")], ["门诊日志复印件", keep("plain", f"{rng.randint(2, 9)}页")],
        [c.name_of(staff), "的身份证复印件及毕业证书复印件"], ["当事人《医疗机构执业许可证》副本复印件1份"],
    ]
    penalties = [["警告"], ["罚款", c.money(fine)]]
    summary = "允许未取得护士执业证书的人员从事护理活动" if nurse else "使用非卫生技术人员从事医疗卫生技术工作"
    return Story("医罚", summary, facts, violated, basis, penalties, evidence, fine, [],
                 [("从业人员", staff), ("从业人员", second), ("患者", patient)])


def beauty_without_licence(c: Case, kind: str) -> Story:
    """A beauty salon does injections and eyelid surgery without a medical licence."""
    rng = c.rng
    if kind == "individual":
        c.individual_party(rng.choice(("美容美体店", "美容院", "皮肤管理工作室")))
    else:
        c.organisation_party(lambda c, head: f"{c.agency.county.city}{rng.choice(BRANDS)}美容有限公司")
    complainant = c.third_party(sex="女", age=(20, 55))
    employee = c.third_party(sex="女", age=(20, 40))
    treatment = rng.choice(("注射玻尿酸", "割双眼皮", "注射肉毒毒素", "埋线提升"))
    income = rng.randint(20, 160) * 100
    fine = rng.choice((50000, 80000, 100000))
    contact = _pick(c,
        ["联系电话：", remove("phone", complainant.phone)],
        ["电子邮箱：", remove("email", numbers.email(rng))],
        ["QQ号：", remove("qq", numbers.qq_number(rng))],
        ["微信号：", remove("wechat", numbers.wechat_id(rng))])
    facts = [
        [c.date(c.day(-10, -1)), "，投诉人", c.name_of(complainant), "（", contact, "）向本机关投诉，称其于",
         c.date(c.day(-60, -20)), "在当事人经营的店内接受了", treatment, "，术后出现局部红肿、化脓，后经", c.hospital(),
         _diagnosis(c, "面部软组织感染", after_hospital=True, of=complainant), "。"],
        _pick(c,
              ["经查，当事人未取得《医疗机构执业许可证》，由员工", c.name_of(employee), "为顾客实施", treatment, "，",
               c.date(c.day(-90, -30)), "至", c.date(c.found), "期间共为", keep("plain", f"{rng.randint(5, 40)}名"),
               "顾客提供该项服务，收取费用合计", c.money(income), "。"],
              ["投诉人提供的聊天记录显示，店员", c.name_of(employee), "使用",
               _pick(c, ["微信号", remove("wechat", numbers.wechat_id(rng))], ["QQ号", remove("qq", numbers.qq_number(rng))]),
               "与其约定手术时间，投诉人通过银行转账将费用转入", c.name_of(employee), "的个人账户（卡号：",
               remove("bank_account", numbers.written_account(rng, numbers.bank_card(rng))), "）。"]),
    ]
    violated, basis = _penalty_statute_pair(c, "《医疗机构管理条例》第二十三条第一款",
                                            "《中华人民共和国基本医疗卫生与健康促进法》第九十九条第一款")
    evidence = [["投诉登记表1份"], ["现场检查笔录及现场照片"], ["对", c.name_of(employee), "的询问笔录1份"],
                ["收费记录及转账凭证复印件"], ["当事人营业执照复印件1份"]]
    penalties = [["没收违法所得", c.money(income)], ["罚款", c.money(fine)]]
    seized = [["透明质酸钠凝胶（批号：", c.batch(), "）", _count(c, 3, 30, "支")],
              ["一次性使用无菌注射器", _count(c, 50, 300, "支")]]
    return Story("医罚", "未取得《医疗机构执业许可证》开展医疗美容服务", facts, violated, basis, penalties, evidence, fine,
                 seized, [("投诉人", complainant), ("员工", employee)])


def _post_in(business: str) -> str:
    """The job that serves customers directly in this kind of business."""
    for words, post in (("足浴足疗", "足浴服务"), ("理发美发", "理发"), ("浴室浴池洗浴", "沐浴区搓澡"),
                        ("宾馆酒店旅馆旅社招待所", "客房保洁"), ("健身游泳", "更衣室保洁")):
        if any(words[i:i + 2] in business for i in range(0, len(words), 2)):
            return post
    return "前台接待及布草更换"


def health_certificates(c: Case, kind: str) -> Story:
    """A public place lets staff serve customers without a health certificate."""
    rng = c.rng
    if kind == "individual":
        c.individual_party(rng.choice(("理发店", "足浴店", "浴室", "旅馆")))
    else:
        c.organisation_party(_venue_name)
    workers = [c.third_party(pseudonym=rng.random() < 0.5) for _ in range(rng.randint(2, 4))]
    post = _post_in(c.party.name)
    fine = rng.choice((500, 800, 1000, 1500, 2000, 3000))
    facts = [_pick(c,
        [c.date(c.found), "，执法人员对当事人经营场所进行卫生监督检查，发现当事人安排", name_list(c, workers), "等",
         keep("plain", f"{numbers.chinese_count(len(workers))}名"), "从业人员从事", post, "等直接为顾客服务的工作，上述人员均未能提供有效的健康合格证明。"],
        ["现场检查时，", introduce(c, "从业人员", workers[0], detail=rng.randint(1, 3)), "正在从事", post,
         "工作，经查其健康合格证明已于", c.date(c.day(-90, -5)), "过期；另有从业人员", name_list(c, workers[1:]), "自入职以来未进行健康检查。"],
        ["经查，当事人共有从业人员", keep("plain", f"{rng.randint(5, 20)}名"), "，其中", name_list(c, workers),
         "未取得健康合格证明即上岗从事", post, "工作。当事人称系", keep("plain", "第二次"), "组织体检时上述人员未能参加。"],
    )]
    if rng.random() < 0.5:
        facts.append([c.name_of(workers[0]), "在询问笔录中陈述，其于", c.date(c.day(-200, -40)), "入职，入职时未进行健康检查，",
                      c.name_of(workers[0]), "的", identity(c, workers[0]), "。"])
    violated, basis = _penalty_statute_pair(c, "《公共场所卫生管理条例实施细则》第十条第一款",
                                            "《公共场所卫生管理条例实施细则》第三十八条")
    evidence = [["现场笔录1份"], ["从业人员花名册复印件"], ["询问笔录", keep("plain", "2份")], ["卫生许可证及营业执照复印件"]]
    penalties = [["警告"], ["罚款", c.money(fine)]]
    return Story("公罚", "安排未获得有效健康合格证明的从业人员从事直接为顾客服务工作", facts, violated, basis, penalties,
                 evidence, fine, [], [("从业人员", w) for w in workers])


def pool_water(c: Case, kind: str) -> Story:
    """A swimming pool whose water fails the hygiene standard."""
    rng = c.rng
    c.organisation_party(lambda c, head: f"{c.agency.county.prefix}{rng.choice(BRANDS)}游泳健身有限公司")
    swimmer = c.third_party(age=(8, 60))
    chlorine = rng.choice(("0.12", "0.15", "0.08", "1.6"))
    urea = rng.choice(("3.8", "4.2", "5.6", "6.1"))
    fine = rng.choice((1000, 2000, 3000))
    facts = [
        [c.date(c.found), "，执法人员对当事人经营的室内游泳池进行监督检查，现场采集池水水样", keep("plain", "2份"), "（样品编号：",
         c.batch(), "、", c.batch(), "）。经检测，样品中游离性余氯为", keep("plain", f"{chlorine}mg/L"), "、尿素为",
         keep("plain", f"{urea}mg/L"), "，不符合", keep("plain", "GB 37489.3-2019"), "《公共场所设计卫生规范 第3部分：人工游泳场所》的要求。"],
        _pick(c,
              ["检查前，游泳者", c.name_of(swimmer), "（", phone(c, swimmer), "）向本机关反映在该泳池游泳后眼部不适，经",
               c.hospital(), _diagnosis(c, "急性结膜炎", after_hospital=True, of=swimmer), "。"],
              ["当事人的水质自检记录显示，", c.date(c.day(-10, -1)), "的", keep("plain", "一组数据"), "中浑浊度为",
               keep("plain", "1.5NTU"), "，当事人未采取换水、加氯等措施。"]),
    ]
    violated, basis = _penalty_statute_pair(c, "《公共场所卫生管理条例实施细则》第十二条第一款",
                                            "《公共场所卫生管理条例》第十四条第一款第（一）项")
    evidence = [["现场笔录1份"], ["采样记录及检测报告（报告编号：", c.batch(), "）"], ["询问笔录1份"], ["现场照片",
                 keep("plain", f"{rng.randint(4, 12)}张")]]
    penalties = [["警告"], ["罚款", c.money(fine)]]
    return Story("公罚", "游泳池水质不符合卫生标准", facts, violated, basis, penalties, evidence, fine, [],
                 [("游泳者", swimmer)])


def drinking_water(c: Case, kind: str) -> Story:
    """A water works supplies water that fails GB 5749."""
    rng = c.rng
    c.organisation_party(lambda c, head: _pick(c, f"{c.agency.county.prefix}{rng.choice(BRANDS)}自来水有限公司",
                                               f"{c.agency.county.prefix}{rng.choice(c.agency.county.towns)}供水站",
                                               f"{c.agency.county.city}{rng.choice(BRANDS)}水务有限公司"),
                         category=_pick(c, "91", "12"))
    resident = c.third_party()
    fine = rng.choice((2000, 3000, 5000))
    facts = [
        [c.date(c.found), "，执法人员对当事人供水的集中式供水工程出厂水及末梢水进行抽检，共采集水样",
         keep("plain", f"{rng.randint(3, 8)}份"), "，其中编号为", c.batch(), "的末梢水样品菌落总数为",
         keep("plain", f"{rng.choice((180, 260, 420, 1200))}CFU/mL"), "，总大肠菌群检出，不符合《生活饮用水卫生标准》（",
         keep("plain", "GB 5749-2022"), "）的规定。"],
        _pick(c,
              ["此前，", introduce(c, "村民", resident, detail=2), "向本机关反映自来水浑浊、有异味。"],
              ["当事人的出厂水检测记录显示，", c.date(c.day(-20, -1)), "的", keep("plain", "一组数据"), "中余氯低于标准限值，当事人未采取处理措施。"],
              ["当事人", c.head(), "称消毒设备于", c.date(c.day(-15, -3)), "出现故障，未及时修复。"]),
    ]
    violated, basis = _penalty_statute_pair(c, "《生活饮用水卫生监督管理办法》第六条",
                                            "《生活饮用水卫生监督管理办法》第二十六条第（四）项")
    evidence = [["现场笔录1份"], ["采样记录及检验报告"], ["对", c.head(), "的询问笔录"], ["水质自检记录复印件"]]
    penalties = [["警告"], ["罚款", c.money(fine)]]
    return Story("水罚", "供应的饮用水不符合国家生活饮用水卫生标准", facts, violated, basis, penalties, evidence, fine, [],
                 [("村民", resident)])


def disinfection_products(c: Case, kind: str) -> Story:
    """A trader sells disinfection products whose labels claim to cure diseases."""
    rng = c.rng
    if kind == "individual":
        c.individual_party(rng.choice(("日用品商行", "母婴用品店", "超市")))
    else:
        c.organisation_party(lambda c, head: f"{c.agency.county.city}{rng.choice(BRANDS)}商贸有限公司")
    buyer = c.third_party()
    brand = rng.choice(BRANDS)
    lot = c.batch()  # the same lot in the facts and in a seizure list
    fine = rng.choice((1000, 2000, 3000, 5000))
    facts = [
        [c.date(c.found), "，执法人员对当事人的仓库进行检查，发现其存放的“", brand, "牌抑菌洗液”（规格：",
         keep("plain", "150mL/瓶"), "，批号：", lot, "）", _count(c, 200, 2400, "瓶"), "、“", rng.choice(BRANDS),
         "牌皮肤抑菌膏”（产品编号", c.batch(), "）", _count(c, 50, 600, "盒"),
         "，标签标注“治疗妇科炎症”“根治湿疹”等明示或者暗示对疾病有治疗作用的内容。"],
        _pick(c,
              ["该批产品系", introduce(c, "消费者", buyer, detail=2), "购买使用后发现问题并举报。"],
              ["举报人", c.name_of(buyer), "通过电子邮件（", remove("email", numbers.email(rng)), "）向本机关提供了购物小票及产品照片。"],
              ["举报人", c.name_of(buyer), "留下的QQ号码为", remove("qq", numbers.qq_number(rng)), "，执法人员已向其反馈处理结果。"]),
    ]
    violated, basis = _penalty_statute_pair(c, "《消毒管理办法》第三十一条第二款", "《消毒管理办法》第四十一条")
    evidence = [["现场检查笔录1份"], ["产品标签照片", keep("plain", f"{rng.randint(3, 10)}张")], ["进货单据复印件"],
                ["对当事人", c.head() if c.party.kind == "organisation" else c.operator_name(), "的询问笔录"]]
    penalties = [["罚款", c.money(fine)]]
    seized = [[f"{brand}牌抑菌洗液（批号：", lot, "）", _count(c, 100, 1200, "瓶")]]
    return Story("消罚", "经营标签标注治疗作用的消毒产品", facts, violated, basis, penalties, evidence, fine, seized,
                 [("举报人", buyer)])


def medical_waste(c: Case, kind: str) -> Story:
    """A clinic puts medical waste into household rubbish and lets a private driver take it."""
    rng = c.rng
    if kind == "individual":
        c.individual_party(rng.choice(("诊所", "西医诊所")))
    else:
        c.organisation_party(_clinic_name, licence=numbers.practice_licence(rng, c.agency.county.region))
    driver = c.third_party(sex="男", age=(30, 65))
    fine = rng.choice((5000, 6000, 8000, 10000))
    facts = [
        [c.date(c.found), "，执法人员检查发现，当事人将使用后的一次性输液器、注射器等医疗废物混入生活垃圾桶内，并交由",
         introduce(c, "个人", driver, detail=rng.choice((0, 3))), "驾驶的", remove("plate", numbers.plate(rng)), "号三轮车清运。"],
        _pick(c,
              ["经查，当事人未建立医疗废物交接登记，", c.date(c.day(-60, -30)), "至", c.date(c.found), "期间约",
               keep("plain", f"{rng.randint(20, 90)}.5千克"), "医疗废物去向不明。"],
              [c.name_of(driver), "称其每周上门收取", keep("plain", "两次"), "，每次收取费用", c.money(rng.randint(3, 9) * 10),
               "，联系", phone(c, driver), "。"]),
    ]
    violated, basis = _penalty_statute_pair(c, "《医疗废物管理条例》第十四条第二款", "《医疗废物管理条例》第四十七条第（一）项")
    evidence = [["现场检查笔录1份"], ["现场照片及视频资料"], ["对", c.name_of(driver), "的询问笔录1份"], ["医疗废物登记本复印件"]]
    penalties = [["警告"], ["罚款", c.money(fine)]]
    return Story("医罚", "将医疗废物混入生活垃圾", facts, violated, basis, penalties, evidence, fine, [],
                 [("驾驶员", driver)])


def occupational_health(c: Case, kind: str) -> Story:
    """A factory does not arrange occupational health examinations."""
    rng = c.rng
    trade = rng.choice(("建材", "铸造", "石材", "家具", "新型材料"))
    c.organisation_party(lambda c, head: f"{c.agency.county.city}{rng.choice(BRANDS)}{trade}有限公司",
                         with_account=rng.random() < 0.5)
    workers = [c.third_party(sex="男", age=(25, 60), pseudonym=rng.random() < 0.4) for _ in range(rng.randint(2, 3))]
    sick = workers[0]
    fine = rng.choice((50000, 60000, 80000))
    facts = [
        [c.date(c.found), "，执法人员对当事人作业场所进行职业卫生监督检查，发现当事人", rng.choice(("打磨", "破碎", "切割", "喷漆")),
         "车间存在矽尘、噪声等职业病危害因素，当事人未组织接触粉尘作业的", name_list(c, workers), "等",
         keep("plain", f"{rng.randint(8, 40)}名"), "劳动者进行上岗前和在岗期间的职业健康检查。"],
        ["经调查，劳动者", c.name_of(sick), bracketed_identity(c, sick), "在当事人处从事打磨作业",
         keep("plain", f"{numbers.chinese_count(rng.randint(3, 12))}年"), "，", c.date(c.day(-30, -5)), "经",
         c.hospital(), _diagnosis(c, rng.choice(("疑似职业性尘肺病", "职业性噪声聋", "疑似职业性矽肺")), after_hospital=True, of=sick),
         "，当事人未按规定将其调离原岗位并妥善安置。"],
    ]
    violated, basis = _penalty_statute_pair(c, "《中华人民共和国职业病防治法》第三十五条第一款",
                                            "《中华人民共和国职业病防治法》第七十一条第（四）项")
    evidence = [["现场检查笔录1份"], ["劳动者花名册复印件"], ["对", c.name_of(sick), "的询问笔录"],
                ["职业病危害因素检测报告（编号：", c.batch(), "）"]]
    penalties = [["警告"], ["罚款", c.money(fine)]]
    return Story("职罚", "未按照规定组织劳动者进行职业健康检查", facts, violated, basis, penalties, evidence, fine, [],
                 [("劳动者", w) for w in workers])


def infectious_disease_report(c: Case, kind: str) -> Story:
    """A hospital reports a tuberculosis case late."""
    rng = c.rng
    c.organisation_party(lambda c, head: _pick(c, f"{c.agency.county.prefix}{rng.choice(BRANDS)}医院有限公司",
                                               f"{c.agency.county.prefix}{rng.choice(c.agency.county.towns)}卫生院"),
                         licence=numbers.practice_licence(rng, c.agency.county.region), category=_pick(c, "91", "12"))
    patient = c.third_party()
    diagnosed = c.day(-40, -10)
    facts = [
        [c.date(diagnosed), "，当事人接诊患者", c.name_of(patient), "（", sex_age(c, patient), "，", _record(c, of=patient),
         "），经胸部CT及痰涂片检查", _diagnosis(c, rng.choice(("继发性肺结核", "细菌性痢疾", "手足口病", "梅毒")), after_hospital=True,
                                          of=patient),
         "。当事人未按规定在", keep("plain", "24小时内"), "进行网络直报，直至", c.date(c.day(-8, -1)), "方才报告。"],
        _pick(c,
              lambda: ["患者", c.name_of(patient), "持社会保障卡（", _insurance(c, patient), "）办理住院手续，其", home(c, patient),
                       "。"],
              lambda: ["经查，接诊医师称因工作疏忽未及时填报传染病报告卡。患者", c.name_of(patient), "的陪同人",
                       introduce(c, "", c.third_party(), detail=2), "证实了就诊经过。"],
              lambda: ["当事人防保科负责人", c.head(), "对上述事实无异议。"])(),
    ]
    violated, basis = _penalty_statute_pair(c, "《中华人民共和国传染病防治法》第三十条第一款",
                                            "《中华人民共和国传染病防治法》第六十九条第（二）项")
    evidence = [["现场检查笔录1份"], ["门诊日志及住院病历复印件"], ["传染病报告卡复印件"], ["询问笔录", keep("plain", "2份")]]
    penalties = [["责令改正"], ["通报批评"], ["警告"]]
    return Story("医罚", "未按照规定报告传染病疫情", facts, violated, basis, penalties, evidence, 0, [],
                 [("患者", patient)])


def fetal_sex_determination(c: Case, kind: str) -> Story:
    """A person determines the sex of foetuses with a portable ultrasound."""
    rng = c.rng
    p = c.person_party(age=(35, 65)).person
    woman = c.third_party(sex="女", age=(22, 40))
    husband = c.third_party(sex="男", age=(24, 45))
    income = rng.choice((600, 800, 1000, 1500))
    fine = rng.choice((10000, 20000, 30000))
    weeks = rng.randint(14, 22)
    serial = c.batch()
    facts = [
        ["经查，", c.date(c.found), "，当事人", c.operator_name(), "在其位于", remove("address", p.address),
         "的家中，使用便携式B超机为孕妇", c.name_of(woman), "（", keep("plain", f"孕{weeks}周"),
         "）进行非医学需要的胎儿性别鉴定，收取费用", c.money(income), "。",
         _pick(c, "", ["此前", c.name_of(woman), "通过QQ（QQ号：", remove("qq", numbers.qq_number(rng)), "）与当事人预约。"])],
        _pick(c,
              ["上述费用由", c.name_of(woman), "通过微信转账支付至当事人微信账户（微信号：", remove("wechat", numbers.wechat_id(rng)), "）。"],
              ["当事人还使用其本人名下的银行卡收取鉴定费用，卡号：", remove("bank_account", numbers.written_account(rng, numbers.bank_card(rng))), "。"],
              [c.date(c.found), "晚，", c.name_of(woman), "的丈夫", c.name_of(husband), "驾驶车牌号为", remove("plate", numbers.plate(rng)),
               "的小型轿车将其送至当事人处，", c.name_of(husband), "（", phone(c, husband), "）对此予以证实。"]),
        ["当事人使用的B超机一台（出厂编号：", serial, "）已被依法先行登记保存。"],
    ]
    violated, basis = _penalty_statute_pair(c, "《中华人民共和国人口与计划生育法》第三十五条",
                                            "《中华人民共和国人口与计划生育法》第四十条第一款第（二）项")
    evidence = [["现场检查笔录1份"], ["对当事人及", c.name_of(woman), "的询问笔录"], ["微信转账记录截图"], ["先行登记保存物品清单"]]
    penalties = [["没收违法所得", c.money(income)], ["没收B超机一台"], ["罚款", c.money(fine)]]
    seized = [["便携式B超机一台（出厂编号：", serial, "）"], ["耦合剂", keep("plain", "3瓶")]]
    return Story("医罚", "进行非医学需要的胎儿性别鉴定", facts, violated, basis, penalties, evidence, fine, seized,
                 [("孕妇", woman), ("丈夫", husband)])


def doctor_outside_scope(c: Case, kind: str) -> Story:
    """A licensed doctor treats patients outside the registered place and scope."""
    rng = c.rng
    c.person_party(age=(30, 65))
    child_patient = rng.random() < 0.3
    patient = c.third_party(child=child_patient)
    relative = c.third_party()
    income = rng.randint(3, 40) * 100
    fine = rng.choice((10000, 15000, 20000, 30000))
    facts = [
        ["当事人", c.operator_name(), "系", c.hospital(), "注册的执业医师，执业类别为临床，执业范围为内科专业。",
         c.date(c.day(-30, -3)), "，当事人在", rng.choice(c.agency.county.towns), "一私人诊所内为患者",
         c.name_of(patient), "（", _record(c, of=patient), "）实施", rng.choice(TREATMENTS), "，超出其注册的执业地点和执业范围。"],
        _pick(c,
              ["患" + ("儿" if child_patient else "者"), c.name_of(patient), "（", sex_age(c, patient), "）由其家属",
               c.name_of(relative), "陪同就诊，当事人诊断其", _diagnosis(c, verb="为", of=patient), "，开具处方并收取诊疗费", c.money(income), "。"],
              ["陪同人", c.name_of(relative), "（", home(c, relative), "）证实，当事人在该诊所坐诊已有",
               keep("plain", f"{rng.randint(2, 8)}个月"), "。"],
              ["该诊所收费记录显示，患者", c.name_of(patient), "使用社会保障卡（", _insurance(c, patient), "）缴纳了诊疗费用",
               c.money(income), "。"]),
    ]
    violated, basis = _penalty_statute_pair(c, "《中华人民共和国医师法》第十四条第一款", "《中华人民共和国医师法》第五十七条")
    evidence = [["询问笔录", keep("plain", "3份")], ["当事人医师执业证书复印件"], ["处方笺复印件", keep("plain", f"{rng.randint(2, 12)}张")]]
    penalties = [["警告"], ["没收违法所得", c.money(income)], ["罚款", c.money(fine)]]
    return Story("医罚", "未按照注册的执业地点、执业类别、执业范围执业", facts, violated, basis, penalties, evidence, fine, [],
                 [("患者", patient), ("家属", relative)])


def radiation_without_licence(c: Case, kind: str) -> Story:
    """A clinic runs an X-ray machine without a radiation licence."""
    rng = c.rng
    if kind == "individual":
        c.individual_party(rng.choice(("口腔诊所", "诊所")))
    else:
        c.organisation_party(_clinic_name, licence=numbers.practice_licence(rng, c.agency.county.region))
    technician = c.third_party(age=(22, 50))
    serial = c.batch()
    fine = rng.choice((1000, 2000, 3000))
    facts = [
        [c.date(c.found), "，执法人员检查发现，当事人在未取得《放射诊疗许可证》的情况下，在其", keep("plain", rng.choice(("二楼", "一楼", "三楼"))),
         "放射科使用一台医用诊断X射线机（型号：", rng.choice(("DR-500", "MobileDiagnost wDR", "口腔CT OP300")), "，出厂编号：",
         serial, "）开展X射线影像诊断，自", c.date(c.day(-120, -20)), "至检查之日", _count(c, 50, 900, "人次"), "。"],
        ["设备操作人员", introduce(c, "", technician, detail=rng.choice((0, 2, 3))), "未取得放射工作人员证。"],
    ]
    violated, basis = _penalty_statute_pair(c, "《放射诊疗管理规定》第十六条第二款", "《放射诊疗管理规定》第三十八条第（一）项")
    evidence = [["现场检查笔录1份"], ["设备铭牌照片"], ["X射线检查登记本复印件"], ["对", c.name_of(technician), "的询问笔录"]]
    penalties = [["警告"], ["罚款", c.money(fine)]]
    seized = [["医用诊断X射线机一台（出厂编号", serial, "）"]]
    return Story("放罚", "未取得放射诊疗许可从事放射诊疗工作", facts, violated, basis, penalties, evidence, fine, seized,
                 [("操作人员", technician)])


def hotel_hygiene(c: Case, kind: str) -> Story:
    """A hotel does not wash and disinfect towels and cups between guests."""
    rng = c.rng
    if kind == "individual":
        c.individual_party(rng.choice(("宾馆", "旅社", "招待所")))
    else:
        c.organisation_party(_venue_name)
    complainant = c.third_party()
    fine = rng.choice((1000, 1500, 2000))
    channel = _pick(c,
        ["举报人QQ号：", remove("qq", numbers.qq_number(rng))],
        ["举报人邮箱：", remove("email", numbers.email(rng))],
        [phone(c, complainant)],
        ["微信：", remove("wechat", numbers.wechat_id(rng))])
    facts = [
        [c.date(c.day(-6, -1)), "，本机关接到", c.name_of(complainant), "的举报（", channel, "），称其入住当事人",
         keep("plain", rng.choice(("三楼", "二楼", "五楼"))), "客房时发现毛巾、床单未更换。"],
        [c.date(c.found), "，执法人员现场检查发现，当事人布草间内已使用的毛巾与清洁毛巾混放，茶具消毒间未配备消毒设施，",
         "亦未建立顾客用品用具清洗消毒记录。", c.name_of(complainant), "提供的照片与现场情况一致。"],
    ]
    violated, basis = _penalty_statute_pair(c, "《公共场所卫生管理条例实施细则》第十四条第一款",
                                            "《公共场所卫生管理条例实施细则》第三十六条第（二）项")
    evidence = [["举报登记表"], ["现场笔录1份"], ["现场照片", keep("plain", f"{rng.randint(5, 16)}张")], ["询问笔录1份"]]
    penalties = [["警告"], ["罚款", c.money(fine)]]
    return Story("公罚", "未按照规定对顾客用品用具进行清洗、消毒", facts, violated, basis, penalties, evidence, fine, [],
                 [("举报人", complainant)])


# Which stories fit which kind of party.
STORIES = {
    "organisation": (unqualified_staff, beauty_without_licence, health_certificates, pool_water, drinking_water,
                     disinfection_products, medical_waste, occupational_health, infectious_disease_report,
                     radiation_without_licence, hotel_hygiene),
    "person": (unlicensed_practice, fetal_sex_determination, doctor_outside_scope),
    "individual": (unqualified_staff, beauty_without_licence, health_certificates, disinfection_products,
                   medical_waste, radiation_without_licence, hotel_hygiene),
}


def tell(c: Case, kind: str, story=None) -> Story:
    story = story or c.rng.choice(STORIES[kind])
    return story(c, kind)
