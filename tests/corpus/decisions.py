"""A corpus of penalty-decision texts (行政处罚决定书) for the redaction tests: hand-written passages in the
forms real health-enforcement decisions take, with personal data planted the ways real documents carry it
— after labels, inside sentences, spaced, full-width, bracketed — and the spans that must go recorded.

Each text is built from one of the passages below and one set of people, numbers and places; `expected`
lists (kind, exact substring) that redaction must remove, `kept` what it must leave (the party's name,
文号, amounts, dates, an organisation's code and registered address).
"""

import random
from dataclasses import dataclass, field

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅云飞鹏辉建国志强海燕春雷宇浩然子涵欣怡梓轩雨桐思远"
COUNTIES = [("安徽省", "淮北市", "濉溪县", "濉溪镇"), ("安徽省", "宿州市", "埇桥区", "汴河街道"), ("江苏省", "徐州市", "铜山区", "三堡街道"),
            ("河南省", "商丘市", "永城市", "演集镇"), ("山东省", "枣庄市", "滕州市", "龙泉街道"), ("安徽省", "阜阳市", "临泉县", "城关镇")]
ROADS = ["淮海路", "人民路", "濉河路", "相山南路", "建设路", "解放路", "南湖路", "长江路", "文化路", "沱河路"]
CLINICS = ["濉溪县康宁诊所", "淮北市仁和口腔门诊部", "宿州市春晖美容医院有限公司", "濉溪县百善镇卫生院", "埇桥区惠民大药房",
           "淮北市清源水务有限公司", "濉溪县金色年华洗浴中心", "淮北市晨光职业技能培训学校", "宿州市安康体检中心", "濉溪县德济中医诊所"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 1, 2))))


def _id_number(rng: random.Random, valid: bool = True) -> str:
    area = rng.choice(["340621", "341302", "320312", "411481", "370481", "341221"])
    body = f"{area}{rng.randint(1955, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]
    if not valid:  # a typo: still personal data
        check = "10X98765432"[(sum(int(d) * w for d, w in zip(body, weights)) + 3) % 11]
    return body + check


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"


def _luhn_card(rng: random.Random) -> str:
    digits = [6, 2] + [rng.randint(0, 9) for _ in range(16)]
    total = 0
    for index, n in enumerate(reversed(digits)):
        n = n * 2 if index % 2 == 0 else n
        total += n - 9 if n > 9 else n
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


FULL = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def _styled_id(rng: random.Random, number: str) -> str:
    style = rng.randrange(4)
    if style == 1:
        return f"{number[:6]} {number[6:14]} {number[14:]}"
    if style == 2:
        return number.translate(FULL)
    if style == 3:
        return number.lower()
    return number


def _styled_mobile(rng: random.Random, number: str) -> str:
    style = rng.randrange(5)
    return [number, f"{number[:3]} {number[3:7]} {number[7:]}", f"{number[:3]}-{number[3:7]}-{number[7:]}",
            f"+86 {number}", number.translate(FULL)][style]


def _landline(rng: random.Random) -> str:
    area = rng.choice(["0561", "0557", "0516", "0370", "0632", "0558"])
    local = f"{rng.randint(2, 8)}{rng.randint(0, 9999999):07d}"
    return rng.choice([f"{area}-{local}", f"({area}){local}", f"（{area}）{local}", f"{area} {local}"])


@dataclass
class Decision:
    text: str
    expected: list[tuple[str, str]] = field(default_factory=list)  # (kind, substring) to remove
    kept: list[str] = field(default_factory=list)  # substrings that must survive
    party_name: str = ""
    party_is_natural_person: bool = False
    other_names: list[str] = field(default_factory=list)


def _address(rng: random.Random) -> str:
    province, city, county, town = rng.choice(COUNTIES)
    tail = f"{rng.choice(ROADS)}{rng.randint(1, 300)}号" + rng.choice(["", f"{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(101, 1806)}室",
                                                                  f"{rng.randint(1, 20)}幢{rng.randint(101, 906)}室"])
    return rng.choice([f"{province}{city}{county}{town}{tail}", f"{city}{county}{town}{tail}", f"{county}{town}{tail}"])


PASSAGES = [
    # 1. unlicensed practice by a natural person, with a patient and a witness
    ("person", "当事人：{party}，性别：男，民族：汉，身份证号：{id}，住址：{home}，联系电话：{mobile}。\n"
     "经查，当事人未取得《医疗机构执业许可证》，于{y}年{m}月{d}日在{home2}擅自开展诊疗活动，为患者{p1}进行静脉输液治疗，"
     "患者{p1}（身份证号码{id2}）证实当时已付费用人民币{fee}元。证人{w1}（联系电话{mobile2}）的证言与上述事实一致。\n"
     "依据《医疗机构管理条例》第四十三条的规定，本机关决定：没收违法所得{fee}元，并处罚款人民币{fine}元。文号：{docno}。"),
    # 2. an organisation: its code and 住所 are public, its account is not, the legal representative's phone is not
    ("org", "当事人：{org}\n统一社会信用代码：{uscc}\n住所：{orgaddr}\n法定代表人：{legal}，联系方式：{mobile}\n"
     "你单位于{y}年{m}月{d}日经我局现场检查，发现未按规定对医疗废物进行分类收集。被询问人{w1}陈述，医疗废物由其丈夫{p1}"
     "负责转运。上述事实有现场笔录、询问笔录（被询问人{w1}，身份证{id}）为证。\n"
     "罚款请于十五日内缴至指定账户，户名：淮北市财政局，开户行：中国银行淮北分行，账号：{treasury}。\n"
     "当事人银行账户：{orgbank}（开户行：农业银行濉溪支行），不予公开。"),
    # 3. public place (洗浴) with a complainant
    ("org", "被处罚单位：{org}，地址：{orgaddr}，统一社会信用代码{uscc}。投诉人{p1}于{y}年{m}月{d}日反映，该场所从业人员未取得有效健康合格证明。"
     "投诉人联系电话：{mobile}，家庭住址：{home}。经核查属实，现场从业人员{w1}（身份证号 {id}）、{w2}未能出示健康合格证明。"
     "依据《公共场所卫生管理条例实施细则》第三十八条，给予警告并处罚款{fine}元整。"),
    # 4. drinking water, agent signs for the party
    ("org", "当事人名称：{org}；住所地：{orgaddr}；法定代表人：{legal}。\n委托代理人：{w1}，男，{age}岁，现住址{home}，"
     "电话{landline}，身份证号码：{id}。\n经查，你单位供应的生活饮用水菌落总数超标，检验结果为阳性，违反了《生活饮用水卫生监督管理办法》第六条。"
     "决定罚款人民币{fine}元。本决定书文号为{docno}，于{y}年{m}月{d}日作出。"),
    # 5. natural person, an individual business (个体工商户, code 92…) — the operator is a natural person
    ("person", "当事人：{party}（个体工商户，统一社会信用代码：{uscc92}），经营者身份证号码：{id}，经营场所：{home}，"
     "手机：{mobile}。\n当事人自{y}年{m}月起从事美容美发经营，顾客{p1}称其使用的消毒产品无卫生许可批件。"
     "以上事实有询问笔录及顾客{p1}的陈述（电话：{mobile2}）为证。决定给予警告，并处罚款{fine}元。"),
    # 6. occupational health, a sick worker (the named worker's diagnosis removed)
    ("org", "{org}：\n我局于{y}年{m}月{d}日对你单位进行职业卫生监督检查，发现劳动者{p1}（工号A0{serial}，身份证{id}）"
     "经职业健康检查诊断为疑似职业病后，你单位未按规定安排其进行诊断。该劳动者家住{home}，其妻{w1}（手机号码 {mobile}）"
     "向我局举报。决定：罚款人民币{fine}元。缴款账号：{treasury}。"),
    # 7. dental clinic, patient data inside a sentence without label punctuation
    ("org", "经查明：{org}于{y}年{m}月{d}日为患者{p1}实施种植牙手术时使用未经消毒的器械，患者{p1}于次日出现感染症状，"
     "其身份证号码为{id}，联系电话为{mobile}，现居住地为{home}。你单位住所为{orgaddr}，法定代表人{legal}。"
     "依据《医疗机构管理条例实施细则》第八十条，罚款{fine}元，文号{docno}。"),
    # 8. a natural person practising medicine, old 15-digit ID and a passport
    ("person", "当事人{party}，身份证号码{id15}（旧证），另持护照号码 E{passport}，户籍地{home}，暂住地{home2}，"
     "电话号码{mobile}。当事人在未取得医师资格的情况下为{p1}、{p2}等人诊疗。其委托代理人{w1}称当事人已停止执业。"
     "罚款{fine}元，没收药品器械一批。"),
    # 9. school hygiene with a guardian
    ("org", "{org}（统一社会信用代码：{uscc}）：经查，你校学生宿舍人均面积不足，学生{p1}的监护人{w1}（联系电话：{mobile}，"
     "身份证号：{id}）于{y}年{m}月{d}日投诉。你校住所：{orgaddr}。决定给予警告，责令限期改正。文号：{docno}"),
    # 10. bank card without a label, landline with extension
    ("person", "当事人：{party}，住址{home}，联系电话{landline}转{ext}。\n当事人通过银行卡{card}收取患者{p1}诊疗费用{fee}元。"
     "证人{w1}、{w2}的证言证实上述事实。依据《中华人民共和国医师法》第五十九条，罚款{fine}元。"),
]


def build(count: int = 120, seed: int = 20261125) -> list[Decision]:
    rng = random.Random(seed)
    decisions = []
    for index in range(count):
        kind, template = PASSAGES[index % len(PASSAGES)]
        people = {key: _name(rng) for key in ("party", "p1", "p2", "w1", "w2", "legal")}
        while len(set(people.values())) < len(people):
            people = {key: _name(rng) for key in people}
        id_plain, id2_plain = _id_number(rng, valid=index % 7 != 3), _id_number(rng)
        id15 = id_plain[:6] + id_plain[8:17]
        mobile, mobile2 = _mobile(rng), _mobile(rng)
        values = {
            **people,
            "org": CLINICS[index % len(CLINICS)], "uscc": "91340600MA2N0ABCDT", "uscc92": "92340621MA2TXXX91C",
            "id": _styled_id(rng, id_plain), "id2": _styled_id(rng, id2_plain), "id15": id15,
            "mobile": _styled_mobile(rng, mobile), "mobile2": _styled_mobile(rng, mobile2), "landline": _landline(rng),
            "ext": str(rng.randint(100, 899)), "home": _address(rng), "home2": _address(rng), "orgaddr": _address(rng),
            "y": str(rng.randint(2024, 2026)), "m": str(rng.randint(1, 12)), "d": str(rng.randint(1, 28)),
            "fee": str(rng.randint(2, 90) * 100), "fine": f"{rng.randint(1, 30) * 1000}", "age": str(rng.randint(22, 70)),
            "docno": f"濉卫医罚〔2026〕{rng.randint(1, 300)}号", "treasury": "1836 0101 0400 0123 4",
            "orgbank": " ".join(f"{rng.randint(1000, 9999)}" for _ in range(5)), "card": _luhn_card(rng),
            "passport": f"{rng.randint(10000000, 99999999)}", "serial": str(rng.randint(100, 999)),
        }
        text = template.format(**values)
        party = values["party"] if kind == "person" else values["org"]
        others = [people[k] for k in ("p1", "p2", "w1", "w2") if "{" + k + "}" in template]
        if kind == "org" and "{legal}" in template:
            kept_legal = True  # 法定代表人 of a legal person is published with it
        else:
            kept_legal = False
        expected = [("name", n) for n in others]
        for key, expected_kind in (("id", "id_number"), ("id2", "id_number"), ("id15", "id_number"), ("mobile", "phone"),
                                   ("mobile2", "phone"), ("landline", "phone"), ("card", "bank_account"),
                                   ("orgbank", "bank_account"), ("treasury", "bank_account")):
            if "{" + key + "}" in template:
                expected.append((expected_kind, values[key]))
        if "{passport}" in template:
            expected.append(("id_number", "E" + values["passport"]))
        if "诊断为疑似职业病" in template:  # the diagnosis of a named worker is health data: removed, not only flagged
            expected.append(("health", "疑似职业病"))
        for key in ("home", "home2"):
            if "{" + key + "}" in template:
                expected.append(("address", values[key]))
        kept = [party] + ([values["fine"] + "元"] if "{fine}元" in template else []) + ([values["docno"]] if "{docno}" in template else [])
        if kind == "org":
            kept += [values["uscc"]] if "{uscc}" in template else []
            kept += [values["orgaddr"]] if "{orgaddr}" in template else []
            kept += [values["legal"]] if kept_legal else []
        decisions.append(Decision(text, expected, kept, party, kind == "person", others))
    return decisions
