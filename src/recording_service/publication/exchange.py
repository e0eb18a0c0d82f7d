"""双公示 exchange: publications as the records credit platforms (信用中国 and the provincial platforms) take,
with their standard field codes, each checked against the field rules before it leaves.

A natural person's identity number goes to the platform (it identifies the party there) and nowhere
public; amounts are in 万元; dates in the target platform's format, `2099/12/31` for 长期.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TypedDict

from stdnum.cn import ric, uscc

from ..core.sheets import csv_bytes, xlsx_bytes
from .models import Publication
from .stored import FieldValue, PrivateFields

LONG_TERM = date(2099, 12, 31)
CATEGORY_CODES = {"legal_person": "法人及非法人组织", "natural_person": "自然人", "individual_business": "个体工商户"}

PENALTY_CODES = [
    ("CF_XDR_MC", "行政相对人名称"),
    ("CF_XDR_LB", "行政相对人类别"),
    ("CF_XDR_SHXYM", "统一社会信用代码"),
    ("CF_FRDB", "法定代表人"),
    ("CF_XDR_ZJLX", "证件类型"),
    ("CF_XDR_ZJHM", "证件号码"),
    ("CF_WSH", "行政处罚决定书文号"),
    ("CF_WFXW", "违法行为类型"),
    ("CF_SY", "违法事实"),
    ("CF_YJ", "处罚依据"),
    ("CF_CFLB", "处罚类别"),
    ("CF_NR", "处罚内容"),
    ("CF_NR_FK", "罚款金额（万元）"),
    ("CF_NR_WFFF", "没收违法所得、没收非法财物的金额（万元）"),
    ("CF_NR_ZKDX", "暂扣或吊销证照名称及编号"),
    ("CF_JDRQ", "处罚决定日期"),
    ("CF_YXQ", "处罚有效期"),
    ("CF_GSJZQ", "公示截止期"),
    ("CF_CFJG", "处罚机关"),
    ("CF_CFJGDM", "处罚机关统一社会信用代码"),
    ("CF_SJLY", "数据来源单位"),
    ("CF_SJLYDM", "数据来源单位统一社会信用代码"),
    ("BZ", "备注"),
]
LICENSE_CODES = [
    ("XK_XDR_MC", "行政相对人名称"),
    ("XK_XDR_LB", "行政相对人类别"),
    ("XK_XDR_SHXYM", "统一社会信用代码"),
    ("XK_FRDB", "法定代表人"),
    ("XK_XDR_ZJLX", "证件类型"),
    ("XK_XDR_ZJHM", "证件号码"),
    ("XK_XKWS", "行政许可决定文书名称"),
    ("XK_WSH", "行政许可决定文书号"),
    ("XK_XKLB", "许可类别"),
    ("XK_XKZS", "许可证书名称"),
    ("XK_XKBH", "许可编号"),
    ("XK_NR", "许可内容"),
    ("XK_JDRQ", "许可决定日期"),
    ("XK_YXQZ", "有效期自"),
    ("XK_YXQJZ", "有效期至"),
    ("XK_XKJG", "许可机关"),
    ("XK_XKJGDM", "许可机关统一社会信用代码"),
    ("XK_ZT", "当前状态"),
    ("XK_SJLY", "数据来源单位"),
    ("XK_SJLYDM", "数据来源单位统一社会信用代码"),
    ("BZ", "备注"),
]
CODES = {"penalty": PENALTY_CODES, "license": LICENSE_CODES}
DATE_FORMATS = {"slash": "%Y/%m/%d", "dash": "%Y-%m-%d"}  # 信用中国 takes 2026/09/24; some provinces 2026-09-24
# A 双公示 record, field code → value: the draft's values as they are, dates and amounts as the platforms take them.
ExchangeRecord = dict[str, FieldValue]


class RecordProblem(TypedDict):
    """A field rule a record breaks: the publication field it concerns (None: the agency or the record), the
    双公示 code where there is one, and what is wrong, in Chinese (schemas.FieldProblem)."""

    field: str | None
    code: str | None
    message: str


class InvalidRecord(TypedDict):
    publication_id: str
    doc_number: FieldValue
    problems: list[RecordProblem]


def text_of(value: FieldValue) -> str:
    """A field's value where only text will do. The fields a draft edits take a number as well as text (schemas.
    PublicationUpdate): a number sent for a text field fails here with a TypeError, as it failed on the str
    operation it reaches (a 500, nothing stored), until the update refuses it."""
    if not isinstance(value, str):
        raise TypeError(f"text expected, not {value!r}")
    return value


def _date(value: date | FieldValue, fmt: str) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        if value in ("长期", "long_term"):
            return LONG_TERM.strftime(fmt)
        value = date.fromisoformat(value)
    if not isinstance(value, date):  # a number that reads as a date (20260101) passes the update's check: see text_of
        raise TypeError(f"a date expected, not {value!r}")
    return value.strftime(fmt)


def _amount(value: FieldValue) -> str | None:
    return None if value in (None, "") else f"{float(value):.6f}".rstrip("0").rstrip(".")


def record_of(publication: Publication, date_format: str = "slash") -> ExchangeRecord:
    """One publication as a 双公示 record, field code → value."""
    fmt = DATE_FORMATS[date_format]
    f = publication.fields
    private: PrivateFields = publication.private_fields or {}
    category = f.get("party_category")
    category_code = CATEGORY_CODES.get(category) if isinstance(category, str) else None
    person = category == "natural_person"
    if publication.kind == "penalty":
        return {
            "CF_XDR_MC": f.get("party_name"),
            "CF_XDR_LB": category_code,
            "CF_XDR_SHXYM": None if person else f.get("party_code"),
            "CF_FRDB": None if person else f.get("legal_representative"),
            "CF_XDR_ZJLX": private.get("id_type") if person else None,
            "CF_XDR_ZJHM": private.get("id_number") if person else None,
            "CF_WSH": f.get("doc_number"),
            "CF_WFXW": f.get("violation_type"),
            "CF_SY": f.get("violation_facts"),
            "CF_YJ": f.get("basis"),
            "CF_CFLB": f.get("penalty_category"),
            "CF_NR": f.get("penalty_content"),
            "CF_NR_FK": _amount(f.get("fine_wan")),
            "CF_NR_WFFF": _amount(f.get("confiscated_wan")),
            "CF_NR_ZKDX": f.get("license_affected"),
            "CF_JDRQ": _date(f.get("decided_on") or publication.decided_on, fmt),
            "CF_YXQ": _date(LONG_TERM, fmt),
            "CF_GSJZQ": _date(publication.period_ends_on, fmt),
            "CF_CFJG": f.get("authority"),
            "CF_CFJGDM": f.get("authority_code"),
            "CF_SJLY": f.get("data_source"),
            "CF_SJLYDM": f.get("data_source_code"),
            "BZ": _note(publication),
        }
    return {
        "XK_XDR_MC": f.get("party_name"),
        "XK_XDR_LB": category_code,
        "XK_XDR_SHXYM": None if person else f.get("party_code"),
        "XK_FRDB": None if person else f.get("legal_representative"),
        "XK_XDR_ZJLX": private.get("id_type") if person else None,
        "XK_XDR_ZJHM": private.get("id_number") if person else None,
        "XK_XKWS": f.get("doc_name"),
        "XK_WSH": f.get("doc_number"),
        "XK_XKLB": f.get("license_category"),
        "XK_XKZS": f.get("certificate_name"),
        "XK_XKBH": f.get("certificate_number"),
        "XK_NR": f.get("license_content"),
        "XK_JDRQ": _date(f.get("decided_on") or publication.decided_on, fmt),
        "XK_YXQZ": _date(f.get("valid_from"), fmt),
        "XK_YXQJZ": _date(f.get("valid_to"), fmt),
        "XK_XKJG": f.get("authority"),
        "XK_XKJGDM": f.get("authority_code"),
        "XK_ZT": "2" if publication.status == "withdrawn" else "1",
        "XK_SJLY": f.get("data_source"),
        "XK_SJLYDM": f.get("data_source_code"),
        "BZ": _note(publication),
    }


def _note(publication: Publication) -> str | None:
    """备注: the draft's note, then what happened since: corrections (变更说明), annotations, 履行情况, a withdrawal."""
    notes = [text_of(publication.fields.get("note"))] if publication.fields.get("note") else []
    notes += [f"{c['changed_on']}变更：{c['note']}" for c in publication.corrections or []]
    notes += [a["note"] for a in publication.annotations or []]
    if publication.performance:
        latest = publication.performance[-1]
        notes.append(f"履行情况：{latest['status_zh']}（{latest['on']}）")
    if publication.status == "withdrawn":
        notes.append(f"已撤回：{publication.withdrawal_reason}")
    return "；".join(notes) or None


# Which of our fields fills each code (the problems are shown beside the field the publisher edits).
FIELD_OF_CODE = {
    "XDR_MC": "party_name",
    "XDR_LB": "party_category",
    "XDR_SHXYM": "party_code",
    "FRDB": "legal_representative",
    "XDR_ZJLX": None,
    "XDR_ZJHM": None,
    "WSH": "doc_number",
    "WFXW": "violation_type",
    "SY": "violation_facts",
    "YJ": "basis",
    "CFLB": "penalty_category",
    "NR": "penalty_content",
    "NR_FK": "fine_wan",
    "NR_WFFF": "confiscated_wan",
    "JDRQ": "decided_on",
    "YXQ": None,
    "GSJZQ": None,
    "CFJG": "authority",
    "CFJGDM": "authority_code",
    "XKJG": "authority",
    "XKJGDM": "authority_code",
    "SJLY": "data_source",
    "SJLYDM": "data_source_code",
    "XKWS": "doc_name",
    "XKLB": "license_category",
    "XKZS": "certificate_name",
    "XKBH": "certificate_number",
    "YXQZ": "valid_from",
    "YXQJZ": "valid_to",
}


def _problem(kind: str, code: str, message: str) -> RecordProblem:
    name = dict(CODES[kind]).get(code, code)
    field = FIELD_OF_CODE.get(code.split("_", 1)[1]) if "_" in code else None
    if code in ("CF_XDR_ZJHM", "XK_XDR_ZJHM", "CF_XDR_ZJLX", "XK_XDR_ZJLX"):
        field = "id_number"  # the party's identity number comes from the case (never public)
    return {"field": field, "code": code, "message": f"{name}（{code}）{message}"}


def problems_of(kind: str, record: Mapping[str, FieldValue]) -> list[RecordProblem]:
    """The field rules a record breaks (required per party type, code check digits, amounts), each with the
    field it concerns and a message in Chinese."""
    p = "CF_" if kind == "penalty" else "XK_"
    errors: list[RecordProblem] = []
    required = [f"{p}XDR_MC", f"{p}XDR_LB", f"{p}WSH", f"{p}JDRQ", f"{p}SJLY", f"{p}SJLYDM"]
    required += (
        ["CF_CFJG", "CF_CFJGDM", "CF_WFXW", "CF_SY", "CF_YJ", "CF_CFLB", "CF_NR", "CF_YXQ"]
        if kind == "penalty"
        else ["XK_XKJG", "XK_XKJGDM", "XK_XKWS", "XK_XKLB", "XK_NR", "XK_YXQZ"]
    )
    category = record.get(f"{p}XDR_LB")
    if category == "自然人":
        required += [f"{p}XDR_ZJLX", f"{p}XDR_ZJHM"]
    elif category:
        required += [f"{p}XDR_SHXYM"] + ([f"{p}FRDB"] if category == "法人及非法人组织" else [])
    for code in required:
        if record.get(code) in (None, ""):
            errors.append(_problem(kind, code, "必填"))
    # (a value that is not text is no valid code: stdnum answers False for one too)
    party_code = record.get(f"{p}XDR_SHXYM")
    if party_code and not (isinstance(party_code, str) and uscc.is_valid(party_code)):
        errors.append(_problem(kind, f"{p}XDR_SHXYM", "校验不通过（18 位统一社会信用代码）"))
    number = record.get(f"{p}XDR_ZJHM")
    if number and record.get(f"{p}XDR_ZJLX") == "身份证" and not (isinstance(number, str) and ric.is_valid(number)):
        errors.append(_problem(kind, f"{p}XDR_ZJHM", "身份证号码校验不通过"))
    for code in (f"{p}CFJGDM" if kind == "penalty" else "XK_XKJGDM", f"{p}SJLYDM"):
        value = record.get(code)
        if value and not (isinstance(value, str) and uscc.is_valid(value)):
            errors.append(_problem(kind, code, "统一社会信用代码校验不通过"))
    for code in ("CF_NR_FK", "CF_NR_WFFF") if kind == "penalty" else ():
        value = record.get(code)
        if value is not None and not re.fullmatch(r"\d{1,8}(\.\d{1,6})?", text_of(value)):  # (_amount's text)
            errors.append(_problem(kind, code, "须为以万元计的非负数，最多六位小数"))
    if kind == "penalty" and record.get("CF_CFLB") and "罚款" in text_of(record["CF_CFLB"]) and record.get("CF_NR_FK") is None:
        errors.append(_problem(kind, "CF_NR_FK", "处罚类别含罚款时必填"))
    return errors


def _with_problems(
    kind: str, records: list[ExchangeRecord], problems: list[list[RecordProblem]] | None
) -> tuple[list[str], list[list[FieldValue]]]:
    codes = [code for code, _ in CODES[kind]]
    rows = [[record.get(code) for code in codes] for record in records]
    if problems is None:
        return codes, rows
    return codes + ["problems"], [row + ["；".join(p["message"] for p in found)] for row, found in zip(rows, problems)]


def as_csv(kind: str, records: list[ExchangeRecord], problems: list[list[RecordProblem]] | None = None) -> bytes:
    """The records under their codes; with `problems` (one list per record) a last column says what each breaks."""
    header, rows = _with_problems(kind, records, problems)
    return csv_bytes(header, rows)


def as_xlsx(
    kind: str, records: list[ExchangeRecord], problems: list[list[RecordProblem]] | None = None, invalid: list[InvalidRecord] | None = None
) -> bytes:
    """The codes and their Chinese names as the first two rows; with `problems`, a `problems` column and a second
    sheet listing each invalid record's problems one a row."""
    header, rows = _with_problems(kind, records, problems)
    names = [name for _, name in CODES[kind]] + (["问题"] if problems is not None else [])
    sheets: list[tuple[str, Sequence[Sequence[object]], Sequence[Sequence[object]]]] = [
        ("行政处罚" if kind == "penalty" else "行政许可", [header, names], rows)
    ]
    if invalid is not None:
        sheets.append(
            (
                "问题",
                [["publication_id", "doc_number", "field", "code", "problem"], ["公示编号", "文号", "字段", "代码", "问题"]],
                [
                    [item["publication_id"], item["doc_number"], p["field"], p["code"], p["message"]]
                    for item in invalid
                    for p in item["problems"]
                ],
            )
        )
    return xlsx_bytes(sheets)


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_file(
    kind: str, rows: list[tuple[Publication, ExchangeRecord, list[RecordProblem]]], file_format: str, include_invalid: bool, day: date
) -> tuple[bytes, str, dict[str, str]]:
    """The 双公示 file of (publication, record, problems) rows: the valid records, or with `include_invalid` every record
    with a `problems` column (and, in XLSX, a second sheet); headers count the valid and the invalid ones, so an export
    is never silently empty."""
    invalid: list[InvalidRecord] = [
        {"publication_id": p.id, "doc_number": p.fields.get("doc_number"), "problems": found} for p, _, found in rows if found
    ]
    kept = [(record, found) for _, record, found in rows if include_invalid or not found]
    records, problems = [record for record, _ in kept], [found for _, found in kept]
    headers = {"X-Records": str(len(rows) - len(invalid)), "X-Records-Invalid": str(len(invalid))}
    name = f"{'xzcf' if kind == 'penalty' else 'xzxk'}-{day.isoformat()}{'-all' if include_invalid else ''}"
    if file_format == "csv":
        body, media_type = as_csv(kind, records, problems if include_invalid else None), "text/csv; charset=utf-8"
    else:
        body, media_type = as_xlsx(kind, records, problems if include_invalid else None, invalid if include_invalid else None), XLSX_TYPE
    return body, media_type, {**headers, "Content-Disposition": f'attachment; filename="{name}.{file_format}"'}
