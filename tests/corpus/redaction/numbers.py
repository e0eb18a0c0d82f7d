"""Numbers as they appear in decision texts: identifiers with their real check characters, and the
many ways a clerk (or a PDF copy) writes them down. Every function takes the document's own
`random.Random`, so the corpus is the same on every run."""

from __future__ import annotations

import datetime
import random

# --- 居民身份证 (GB 11643) ---------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_character(body17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS)) % 11]


def id_number_18(rng: random.Random, region: str, birth: datetime.date, *, valid: bool = True) -> str:
    body = f"{region}{birth:%Y%m%d}{rng.randint(1, 999):03d}"
    check = id_check_character(body)
    if not valid:  # a typing error in the case file: any other check character
        check = rng.choice([c for c in "0123456789X" if c != check])
    return body + check


def id_number_ending_in_x(rng: random.Random, region: str, birth: datetime.date) -> str:
    while True:
        number = id_number_18(rng, region, birth)
        if number.endswith("X"):
            return number


def id_number_15(rng: random.Random, region: str, birth: datetime.date) -> str:
    """The first-generation card: two-digit year, no check character."""
    return f"{region}{birth:%y%m%d}{rng.randint(1, 999):03d}"


# --- 统一社会信用代码 (GB 32100) and its 组织机构代码 (GB 11714) ---------------------------------

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the letters GB 32100 allows inside the code
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_value(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def organisation_code(rng: random.Random, *, newer: bool) -> str:
    """A 9-character 组织机构代码 with its GB 11714 check character. Newer registrations begin
    with "MA" followed by letters and digits; older ones are digits."""
    if newer:
        body = "MA" + "".join(rng.choice(_ORG_ALPHABET[:10] * 3 + _ORG_ALPHABET[10:]) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    remainder = 11 - sum(_org_value(c) * w for c, w in zip(body, _ORG_WEIGHTS)) % 11
    check = {10: "X", 11: "0"}.get(remainder, str(remainder))
    return body + check


def uscc(rng: random.Random, authority_and_category: str, region: str, *, newer: bool = True) -> str:
    """`authority_and_category`: "91" company, "92" 个体工商户, "12" 事业单位, "52" 民办非企业单位…"""
    body = authority_and_category + region + organisation_code(rng, newer=newer)
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(body, _USCC_WEIGHTS))
    return body + _USCC_ALPHABET[(31 - total % 31) % 31]


# --- digits written other ways -----------------------------------------------------------

FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
CHINESE_DIGITS = str.maketrans("0123456789", "〇一二三四五六七八九")
SPOKEN_DIGITS = str.maketrans("0123456789", "零幺二三四五六七八九")  # 幺 for 1, as said on the phone


def grouped(number: str, sizes: tuple[int, ...], separator: str) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(number[at : at + size])
        at += size
    if at < len(number):
        parts.append(number[at:])
    return separator.join(p for p in parts if p)


def broken(rng: random.Random, number: str) -> str:
    """A line break somewhere inside, as when the number ran over the end of a printed line."""
    at = rng.randint(3, len(number) - 3)
    return number[:at] + "\n" + number[at:]


ID_STYLES = ("plain", "plain", "plain", "6-8-4", "4-4-4-4-2", "hyphens", "full_width", "chinese", "broken", "fifteen",
             "wrong_check", "lower_x")


def id_number(rng: random.Random, region: str, birth: datetime.date, style: str | None = None) -> str:
    """A personal ID number written in one of `ID_STYLES` (chosen at random unless given)."""
    style = style or rng.choice(ID_STYLES)
    if style == "fifteen":
        return id_number_15(rng, region, birth)
    if style == "wrong_check":
        return id_number_18(rng, region, birth, valid=False)
    if style == "lower_x":
        return id_number_ending_in_x(rng, region, birth).lower()
    number = id_number_18(rng, region, birth)
    if style == "6-8-4":
        return grouped(number, (6, 8, 4), " ")
    if style == "4-4-4-4-2":
        return grouped(number, (4, 4, 4, 4, 2), " ")
    if style == "hyphens":
        return grouped(number, (6, 8, 4), "-")
    if style == "full_width":
        return number.translate(FULL_WIDTH)
    if style == "chinese":
        while number.endswith("X"):
            number = id_number_18(rng, region, birth)
        return number.translate(CHINESE_DIGITS)
    if style == "broken":
        return broken(rng, number)
    return number


# --- telephones --------------------------------------------------------------------------

MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
                   "156", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "186", "187", "188",
                   "189", "191", "198", "199")
MOBILE_STYLES = ("plain", "plain", "plain", "+86", "+86 3-4-4", "+86-", "3-4-4 spaces", "3-4-4 hyphens", "chinese",
                 "spoken", "(+86)", "broken")


def mobile_number(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))


def mobile(rng: random.Random, style: str | None = None) -> str:
    number = mobile_number(rng)
    style = style or rng.choice(MOBILE_STYLES)
    return {
        "plain": number,
        "+86": "+86" + number,
        "+86 3-4-4": "+86 " + grouped(number, (3, 4, 4), " "),
        "+86-": "+86-" + number,
        "3-4-4 spaces": grouped(number, (3, 4, 4), " "),
        "3-4-4 hyphens": grouped(number, (3, 4, 4), "-"),
        "chinese": number.translate(CHINESE_DIGITS),
        "spoken": number.translate(SPOKEN_DIGITS),
        "(+86)": "(+86)" + number,
        "broken": broken(rng, number),
    }[style]


def landline_digits(rng: random.Random, length: int = 7) -> str:
    return str(rng.randint(2, 8)) + "".join(rng.choice("0123456789") for _ in range(length - 1))


LANDLINE_STYLES = ("hyphen", "hyphen", "full_brackets", "half_brackets", "space", "bare")


def landline(rng: random.Random, area_code: str, style: str | None = None, length: int | None = None) -> str:
    """`bare` is the number without its area code, as people write it after 电话："""
    digits = landline_digits(rng, length or rng.choice((7, 8)))
    style = style or rng.choice(LANDLINE_STYLES)
    return {
        "hyphen": f"{area_code}-{digits}",
        "full_brackets": f"（{area_code}）{digits}",
        "half_brackets": f"({area_code}){digits}",
        "space": f"{area_code} {digits}",
        "bare": digits,
    }[style]


# --- bank cards and accounts -------------------------------------------------------------

CARD_PREFIXES = ("622848", "622202", "621700", "622700", "621226", "623058", "622588", "621661", "622609", "625965",
                 "621799", "622262")


def luhn_complete(body: str) -> str:
    total = 0
    for i, char in enumerate(reversed(body)):
        digit = int(char)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return body + str((10 - total % 10) % 10)


def bank_card(rng: random.Random, length: int | None = None) -> str:
    length = length or rng.choice((16, 19, 19, 19))
    body = rng.choice(CARD_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(length - 7))
    return luhn_complete(body)


def corporate_account(rng: random.Random) -> str:
    """A 基本存款账户 of a company: 16 to 19 digits with no card prefix and no check digit."""
    length = rng.choice((16, 17, 18, 19))
    return rng.choice(("34", "12", "18", "20", "10")) + "".join(rng.choice("0123456789") for _ in range(length - 2))


def written_account(rng: random.Random, number: str) -> str:
    return rng.choice((
        number, number, grouped(number, (4,) * 5, " "), grouped(number, (4,) * 5, "-"), grouped(number, (6, 6, 7), " "),
    ))


# --- documents of travel, plates, accounts on the internet ----------------------------------

def travel_document(rng: random.Random) -> tuple[str, str]:
    """(the label a clerk writes, the number)."""
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    letter = rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")
    return rng.choice((
        ("护照号码", "E" + digits(8)),
        ("护照号", "E" + letter + digits(7)),
        ("护照", "G" + digits(8)),
        ("往来港澳通行证号码", "C" + digits(8)),
        ("港澳通行证号", "C" + letter + digits(7)),
        ("港澳居民来往内地通行证号码", rng.choice("HM") + digits(8)),
        ("台湾居民来往大陆通行证号码", digits(8)),
        ("台胞证号", digits(8)),
        ("大陆居民往来台湾通行证号码", "L" + digits(8)),
    ))


PLATE_PROVINCES = (("皖", "FFFFLCN"), ("苏", "CCN"), ("豫", "NN"), ("鲁", "HQ"), ("浙", "A"))
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def plate(rng: random.Random) -> str:
    province, cities = rng.choice(PLATE_PROVINCES)
    city = rng.choice(cities)
    kind = rng.choice(("digits", "digits", "letter", "new_energy", "new_energy_suffix"))
    if kind == "digits":
        tail = "".join(rng.choice("0123456789") for _ in range(5))
    elif kind == "letter":
        tail = list("".join(rng.choice("0123456789") for _ in range(5)))
        tail[rng.randint(0, 3)] = rng.choice(PLATE_LETTERS)
        tail = "".join(tail)
    elif kind == "new_energy":
        tail = rng.choice("DF") + "".join(rng.choice("0123456789") for _ in range(5))
    else:
        tail = "".join(rng.choice("0123456789") for _ in range(5)) + rng.choice("DF")
    separator = rng.choice(("", "", "·", " ")) if len(tail) == 5 else rng.choice(("", ""))
    return province + city + separator + tail


_SYLLABLES = ("zhang", "wang", "li", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu", "xu", "sun", "hu", "zhu",
              "gao", "lin", "he", "guo", "ma", "luo", "liang", "song", "zheng", "xie", "han", "tang", "feng", "yu",
              "dong", "xiao", "cheng", "cao", "yuan", "deng", "xu", "fu", "shen", "peng", "lu", "jiang", "cai", "jia",
              "wei", "xue", "ye", "yan", "pan", "du", "dai", "xia", "zhong", "tian", "ren", "fan", "fang", "shi",
              "yao", "tan", "qiao", "min", "hua", "jun", "ming", "hong", "lei", "jing", "ting", "xin", "yi", "na")


def email(rng: random.Random) -> str:
    local = rng.choice((
        lambda: rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + str(rng.randint(1960, 2005)),
        lambda: rng.choice(_SYLLABLES) + "_" + rng.choice(_SYLLABLES) + str(rng.randint(1, 999)),
        lambda: rng.choice(_SYLLABLES) + "." + rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES),
        lambda: str(rng.randint(10000000, 3999999999)),
    ))()
    return local + "@" + rng.choice(("qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "139.com", "yeah.net",
                                     "hotmail.com", "outlook.com"))


def wechat_id(rng: random.Random) -> str:
    return rng.choice((
        lambda: "wxid_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(14)),
        lambda: rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + str(rng.randint(60, 2005)),
        lambda: rng.choice(_SYLLABLES) + "_" + rng.choice(_SYLLABLES) + str(rng.randint(1, 99)),
        lambda: rng.choice(_SYLLABLES).capitalize() + rng.choice(_SYLLABLES) + "-" + str(rng.randint(100, 999)),
        lambda: mobile_number(rng),  # many people register with their phone number
    ))()


def qq_number(rng: random.Random) -> str:
    return str(rng.randint(10000, 3999999999))


def social_security_number(rng: random.Random, region: str) -> str:
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    return rng.choice((
        lambda: rng.choice("ABCDEFGHJKLMN") + digits(8),  # the 9-character number on a 社会保障卡
        lambda: region[:4] + digits(12),
        lambda: "H" + region + digits(5),
        lambda: region + digits(10),
    ))()


def medical_record_number(rng: random.Random, year: int) -> str:
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    return rng.choice((
        lambda: digits(rng.choice((7, 8, 10))),
        lambda: f"{year}{digits(6)}",
        lambda: f"ZY{year}{digits(5)}",
        lambda: f"MZ{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{digits(4)}",
        lambda: f"BL-{year}-{digits(5)}",
    ))()


# --- numbers that must stay ----------------------------------------------------------------

def certificate_number(rng: random.Random, region: str) -> str:
    """An officer's 执法证号: 12 to 14 digits beginning with the region."""
    return region + "".join(rng.choice("0123456789") for _ in range(rng.choice((6, 7, 8))))


def practice_licence(rng: random.Random, region: str) -> str:
    """医疗机构执业许可证登记号, e.g. PDY12345634062117A1002."""
    return ("PDY" + "".join(rng.choice("0123456789") for _ in range(rng.choice((5, 6)))) + region
            + rng.choice(("11", "17", "21", "52")) + rng.choice("AD") + f"{rng.randint(1001, 1009)}")


def food_licence(rng: random.Random, region: str) -> str:
    return "JY" + rng.choice("12") + region + "".join(rng.choice("0123456789") for _ in range(7))


def batch_number(rng: random.Random, year: int) -> str:
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice((
        lambda: f"{year % 100:02d}{month:02d}{day:02d}",
        lambda: f"{year}{month:02d}{day:02d}",
        lambda: f"{year}{month:02d}{day:02d}{digits(2)}",
        lambda: f"{year % 100:02d}{month:02d}{day:02d}{digits(4)}",
        lambda: f"YP{year}-{month:02d}{day:02d}-{digits(2)}",
        lambda: f"CP{year}{month:02d}{digits(3)}",
        lambda: f"SN{year}{month:02d}{day:02d}{digits(2)}",
        lambda: f"{rng.choice('ABCDH')}{year % 100:02d}{month:02d}{digits(3)}",
    ))()


# --- Chinese numerals and money ----------------------------------------------------------

_SMALL = "〇一二三四五六七八九"


def chinese_count(n: int) -> str:
    """1 to 999 as written in addresses and counts: 三, 十二, 五十, 一百零八."""
    if n < 10:
        return "零一二三四五六七八九"[n]
    if n < 20:
        return "十" + ("" if n == 10 else _SMALL[n - 10])
    if n < 100:
        return _SMALL[n // 10] + "十" + ("" if n % 10 == 0 else _SMALL[n % 10])
    rest = n % 100
    head = _SMALL[n // 100] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + _SMALL[rest]
    return head + (_SMALL[rest // 10] + "十" + ("" if rest % 10 == 0 else _SMALL[rest % 10]))


_CAPITAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"


def capital_amount(yuan: int) -> str:
    """An amount in 大写 as on a 缴款书: 30000 -> 叁万元整, 1500 -> 壹仟伍佰元整, 20500 -> 贰万零伍佰元整."""

    def below_10000(n: int) -> str:
        out, zero = "", False
        for unit_value, unit in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
            digit = n // unit_value % 10
            if digit:
                if zero and out:
                    out += "零"
                out += _CAPITAL_DIGITS[digit] + unit
                zero = False
            else:
                zero = True
        return out

    wan, rest = divmod(yuan, 10000)
    text = ""
    if wan:
        text = below_10000(wan) + "万"
        if rest and rest < 1000:
            text += "零"
    if rest:
        text += below_10000(rest)
    return text + "元整"


def written_money(rng: random.Random, yuan: int) -> str:
    """An amount as the span of a `money` keep."""
    return rng.choice((
        f"{yuan}元",
        f"人民币{yuan}元",
        f"{yuan:,}.00元",
        f"人民币{capital_amount(yuan)}",
        f"人民币{capital_amount(yuan)}（¥{yuan:.2f}）",
        f"{capital_amount(yuan)}（{yuan}元）",
        f"{yuan / 10000:g}万元" if yuan % 1000 == 0 and yuan >= 10000 else f"{yuan}元",
    ))


DATE_STYLES = ("年月日", "年月日", "年月日", "年月日补零", "ISO", "点", "斜线")


def written_date(rng: random.Random, day: datetime.date, *, formal: bool = False, style: str | None = None) -> str:
    if formal:
        return rng.choice((f"{day.year}年{day.month}月{day.day}日", chinese_date(day)))
    return {
        "年月日": f"{day.year}年{day.month}月{day.day}日",
        "年月日补零": f"{day.year}年{day.month:02d}月{day.day:02d}日",
        "ISO": f"{day:%Y-%m-%d}",
        "点": f"{day:%Y.%m.%d}",
        "斜线": f"{day.year}/{day.month}/{day.day}",
    }[style or rng.choice(DATE_STYLES)]


def chinese_date(day: datetime.date) -> str:
    year = str(day.year).translate(CHINESE_DIGITS)
    return f"{year}年{chinese_count(day.month)}月{chinese_count(day.day)}日"

