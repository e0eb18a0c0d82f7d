"""双公示 exchange: publications as the records credit platforms (信用中国 and the provincial platforms) take,
with their standard field codes, each checked against the field rules before it leaves.

A natural person's identity number goes to the platform (it identifies the party there) and nowhere
public; amounts are in 万元; dates in the target platform's format, `2099/12/31` for 长期.
"""

import re
from datetime import date

from stdnum.cn import ric, uscc

from ..sheets import csv_bytes, xlsx_bytes

LONG_TERM = date(2099, 12, 31)
CATEGORY_CODES = {"legal_person": "法人及非法人组织", "natural_person": "自然人", "individual_business": "个体工商户"}

PENALTY_CODES = [
    ("CF_XDR_MC", "行政相对人名称"), ("CF_XDR_LB", "行政相对人类别"), ("CF_XDR_SHXYM", "统一社会信用代码"), ("CF_FRDB", "法定代表人"),
    ("CF_XDR_ZJLX", "证件类型"), ("CF_XDR_ZJHM", "证件号码"), ("CF_WSH", "行政处罚决定书文号"), ("CF_WFXW", "违法行为类型"),
    ("CF_SY", "违法事实"), ("CF_YJ", "处罚依据"), ("CF_CFLB", "处罚类别"), ("CF_NR", "处罚内容"), ("CF_NR_FK", "罚款金额（万元）"),
    ("CF_NR_WFFF", "没收违法所得、没收非法财物的金额（万元）"), ("CF_NR_ZKDX", "暂扣或吊销证照名称及编号"), ("CF_JDRQ", "处罚决定日期"),
    ("CF_YXQ", "处罚有效期"), ("CF_GSJZQ", "公示截止期"), ("CF_CFJG", "处罚机关"), ("CF_CFJGDM", "处罚机关统一社会信用代码"),
    ("CF_SJLY", "数据来源单位"), ("CF_SJLYDM", "数据来源单位统一社会信用代码"), ("BZ", "备注"),
]
LICENSE_CODES = [
    ("XK_XDR_MC", "行政相对人名称"), ("XK_XDR_LB", "行政相对人类别"), ("XK_XDR_SHXYM", "统一社会信用代码"), ("XK_FRDB", "法定代表人"),
    ("XK_XDR_ZJLX", "证件类型"), ("XK_XDR_ZJHM", "证件号码"), ("XK_XKWS", "行政许可决定文书名称"), ("XK_WSH", "行政许可决定文书号"),
    ("XK_XKLB", "许可类别"), ("XK_XKZS", "许可证书名称"), ("XK_XKBH", "许可编号"), ("XK_NR", "许可内容"), ("XK_JDRQ", "许可决定日期"),
    ("XK_YXQZ", "有效期自"), ("XK_YXQJZ", "有效期至"), ("XK_XKJG", "许可机关"), ("XK_XKJGDM", "许可机关统一社会信用代码"),
    ("XK_ZT", "当前状态"), ("XK_SJLY", "数据来源单位"), ("XK_SJLYDM", "数据来源单位统一社会信用代码"), ("BZ", "备注"),
]
CODES = {"penalty": PENALTY_CODES, "license": LICENSE_CODES}
DATE_FORMATS = {"slash": "%Y/%m/%d", "dash": "%Y-%m-%d"}  # 信用中国 takes 2026/09/24; some provinces 2026-09-24


def _date(value, fmt: str) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        if value in ("长期", "long_term"):
            return LONG_TERM.strftime(fmt)
        value = date.fromisoformat(value)
    return value.strftime(fmt)


def _amount(value) -> str | None:
    return None if value in (None, "") else f"{float(value):.6f}".rstrip("0").rstrip(".")


def record_of(publication, date_format: str = "slash") -> dict:
    """One publication as a 双公示 record, field code → value."""
    fmt = DATE_FORMATS[date_format]
    f, private = publication.fields, publication.private_fields or {}
    category = f.get("party_category")
    person = category == "natural_person"
    if publication.kind == "penalty":
        return {
            "CF_XDR_MC": f.get("party_name"), "CF_XDR_LB": CATEGORY_CODES.get(category), "CF_XDR_SHXYM": None if person else f.get("party_code"),
            "CF_FRDB": None if person else f.get("legal_representative"),
            "CF_XDR_ZJLX": private.get("id_type") if person else None, "CF_XDR_ZJHM": private.get("id_number") if person else None,
            "CF_WSH": f.get("doc_number"), "CF_WFXW": f.get("violation_type"), "CF_SY": f.get("violation_facts"), "CF_YJ": f.get("basis"),
            "CF_CFLB": f.get("penalty_category"), "CF_NR": f.get("penalty_content"), "CF_NR_FK": _amount(f.get("fine_wan")),
            "CF_NR_WFFF": _amount(f.get("confiscated_wan")), "CF_NR_ZKDX": f.get("license_affected"),
            "CF_JDRQ": _date(f.get("decided_on") or publication.decided_on, fmt), "CF_YXQ": _date(LONG_TERM, fmt),
            "CF_GSJZQ": _date(publication.period_ends_on, fmt), "CF_CFJG": f.get("authority"), "CF_CFJGDM": f.get("authority_code"),
            "CF_SJLY": f.get("data_source"), "CF_SJLYDM": f.get("data_source_code"), "BZ": _note(publication),
        }
    return {
        "XK_XDR_MC": f.get("party_name"), "XK_XDR_LB": CATEGORY_CODES.get(category), "XK_XDR_SHXYM": None if person else f.get("party_code"),
        "XK_FRDB": None if person else f.get("legal_representative"),
        "XK_XDR_ZJLX": private.get("id_type") if person else None, "XK_XDR_ZJHM": private.get("id_number") if person else None,
        "XK_XKWS": f.get("doc_name"), "XK_WSH": f.get("doc_number"), "XK_XKLB": f.get("license_category"),
        "XK_XKZS": f.get("certificate_name"), "XK_XKBH": f.get("certificate_number"), "XK_NR": f.get("license_content"),
        "XK_JDRQ": _date(f.get("decided_on") or publication.decided_on, fmt), "XK_YXQZ": _date(f.get("valid_from"), fmt),
        "XK_YXQJZ": _date(f.get("valid_to"), fmt), "XK_XKJG": f.get("authority"), "XK_XKJGDM": f.get("authority_code"),
        "XK_ZT": "2" if publication.status == "withdrawn" else "1", "XK_SJLY": f.get("data_source"),
        "XK_SJLYDM": f.get("data_source_code"), "BZ": _note(publication),
    }


def _note(publication) -> str | None:
    notes = [a["note"] for a in publication.annotations or []]
    if publication.status == "withdrawn":
        notes.append(f"已撤回：{publication.withdrawal_reason}")
    return "；".join(notes) or (publication.fields.get("note") or None)


def problems_of(kind: str, record: dict) -> list[str]:
    """The field rules a record breaks (required per party type, code check digits, amounts)."""
    p = "CF_" if kind == "penalty" else "XK_"
    errors = []
    required = [f"{p}XDR_MC", f"{p}XDR_LB", f"{p}WSH", f"{p}JDRQ", f"{p}SJLY", f"{p}SJLYDM"]
    required += ["CF_CFJG", "CF_CFJGDM", "CF_WFXW", "CF_SY", "CF_YJ", "CF_CFLB", "CF_NR", "CF_YXQ"] if kind == "penalty" else ["XK_XKJG", "XK_XKJGDM", "XK_XKWS", "XK_XKLB", "XK_NR", "XK_YXQZ"]
    category = record.get(f"{p}XDR_LB")
    if category == "自然人":
        required += [f"{p}XDR_ZJLX", f"{p}XDR_ZJHM"]
    elif category:
        required += [f"{p}XDR_SHXYM"] + ([f"{'CF_FRDB' if kind == 'penalty' else 'XK_FRDB'}"] if category == "法人及非法人组织" else [])
    for code in required:
        if record.get(code) in (None, ""):
            errors.append(f"{code} 必填")
    code = record.get(f"{p}XDR_SHXYM")
    if code and not uscc.is_valid(code):
        errors.append(f"{p}XDR_SHXYM 统一社会信用代码校验不通过")
    number = record.get(f"{p}XDR_ZJHM")
    if number and record.get(f"{p}XDR_ZJLX") == "身份证" and not ric.is_valid(number):
        errors.append(f"{p}XDR_ZJHM 身份证号码校验不通过")
    for code in (f"{p}CFJGDM" if kind == "penalty" else "XK_XKJGDM", f"{p}SJLYDM"):
        if record.get(code) and not uscc.is_valid(record[code]):
            errors.append(f"{code} 统一社会信用代码校验不通过")
    for code in ("CF_NR_FK", "CF_NR_WFFF") if kind == "penalty" else ():
        value = record.get(code)
        if value is not None and not re.fullmatch(r"\d{1,8}(\.\d{1,6})?", value):
            errors.append(f"{code} 须为以万元计的非负数，最多六位小数")
    if kind == "penalty" and record.get("CF_CFLB") and "罚款" in record["CF_CFLB"] and record.get("CF_NR_FK") is None:
        errors.append("CF_NR_FK 处罚类别含罚款时必填")
    return errors


def as_csv(kind: str, records: list[dict]) -> bytes:
    return csv_bytes([code for code, _ in CODES[kind]], ([record.get(code) for code, _ in CODES[kind]] for record in records))


def as_xlsx(kind: str, records: list[dict]) -> bytes:
    """The codes and their Chinese names as the first two rows."""
    return xlsx_bytes([("行政处罚" if kind == "penalty" else "行政许可", [[code for code, _ in CODES[kind]], [name for _, name in CODES[kind]]],
                        [[record.get(code) for code, _ in CODES[kind]] for record in records])])
