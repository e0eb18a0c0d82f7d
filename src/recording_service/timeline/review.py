"""What a case-file reviewer (案卷评查) checks that the structured record can decide: findings of kind
`review`, each naming its `check`.

Pure: the timeline service gathers the case's record (and the agency's other uses of its 文号) and these
functions apply the review sheet's settings to it.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import RowMapping
from stdnum.cn import ric, uscc

from ..catalog.schemas import Procedure, ReviewSheet
from .model import DocumentFinding, DocumentNumberFinding, PartyFinding, ReviewFinding, StageOrderFinding

if TYPE_CHECKING:
    from ..cases.models import CaseStage

COUNTED = {"signed", "issued", "served"}
WITNESSED_METHODS = {"lodged"}  # 留置送达: the party refused to accept; a witness or footage shows it


@dataclass
class ReviewRecord:
    agency: str
    procedure: Procedure
    stages: "dict[str, CaseStage]"  # stage code → CaseStage row
    documents: Sequence[RowMapping]  # current versions
    parties: list[dict[str, Any]]
    facts: dict[str, Any]
    party_signs: set[str]  # document types the party signs (笔录)
    document_names: dict[str, str]
    stage_footage: dict[str, int] = field(default_factory=dict)  # stage code → usable clips bound
    numbers_elsewhere: dict[str, int] = field(default_factory=dict)  # 文号 → other documents of the agency using it
    stage_codes: dict[str, str] = field(init=False, repr=False)  # stage row id → stage code

    def __post_init__(self) -> None:
        self.stage_codes = {row.id: code for code, row in self.stages.items()}


def normalised_name(name: str) -> str:
    """Names compared as a reader would: full-width and half-width forms alike, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def review_findings(record: ReviewRecord, sheet: ReviewSheet, tz: tzinfo) -> list[ReviewFinding]:
    findings: list[ReviewFinding] = []
    findings += _stage_order(record, tz)
    findings += _doc_numbers(record, sheet, tz)
    findings += _party_names(record)
    findings += _party_numbers(record)
    findings += _signatures(record)
    findings += _witnessed_service(record)
    findings += _legal_review(record)
    return findings


def _stage_of(record: ReviewRecord, document: RowMapping) -> str:
    return record.stage_codes.get(document["stage_id"], record.procedure.stages[0].code)


def _stage_order(record: ReviewRecord, tz: tzinfo) -> list[ReviewFinding]:
    """Stages start in procedure order (by day); a stage may start before those its catalog entry names."""
    started = [
        (d, row.started_at.astimezone(tz).date())
        for d in record.procedure.stages
        if (row := record.stages.get(d.code)) is not None and row.status != "skipped" and row.started_at
    ]
    findings: list[ReviewFinding] = []
    for index, (later, later_day) in enumerate(started):
        for earlier, earlier_day in started[:index]:
            if earlier_day > later_day and earlier.code not in later.may_start_before:
                findings.append(
                    StageOrderFinding(
                        stage=later.code,
                        check="stage_order",
                        message=f"{later.code} started on {later_day}, before {earlier.code} ({earlier_day}) which precedes it.",
                        message_zh=f"{later.name_zh}开始于 {later_day}，早于在先的{earlier.name_zh}（{earlier_day}），环节顺序颠倒。",
                        earlier_stage=earlier.code,
                    )
                )
                break
    return findings


def _doc_numbers(record: ReviewRecord, sheet: ReviewSheet, tz: tzinfo) -> list[ReviewFinding]:
    pattern = re.compile(sheet.doc_number_patterns.get(record.agency, sheet.doc_number_pattern))
    counted = [d for d in record.documents if d["status"] in COUNTED and d["doc_number"]]
    in_case: dict[str, int] = {}
    for document in counted:
        in_case[document["doc_number"]] = in_case.get(document["doc_number"], 0) + 1
    findings: list[ReviewFinding] = []
    years: dict[datetime, date] = {}  # documents of one case share a handful of dates
    for document in counted:
        number, name = document["doc_number"], record.document_names.get(document["doc_type"], document["doc_type"])
        stage = _stage_of(record, document)
        match = pattern.fullmatch(number)
        dated = document["issued_at"] or document["signed_at"]
        if dated is not None and dated not in years:
            years[dated] = dated.astimezone(tz).date()
        if match is None:
            findings.append(
                DocumentNumberFinding(
                    stage=stage,
                    check="doc_number_format",
                    message=f"{document['doc_type']}: 文号 {number} does not follow the agency's pattern.",
                    message_zh=f"{name}文号“{number}”不符合文号规范（地区简称+卫+类别+性质+〔年份〕+序号+号，序号不编虚位）。",
                    document_id=document["id"],
                    doc_number=number,
                )
            )
        elif dated is not None and int(match.group("year")) != years[dated].year:
            findings.append(
                DocumentNumberFinding(
                    stage=stage,
                    check="doc_number_format",
                    message=f"{document['doc_type']}: 文号 {number} names year {match.group('year')}, but the document is dated {years[dated]}.",
                    message_zh=f"{name}文号“{number}”的年份与文书日期 {years[dated]} 不一致。",
                    document_id=document["id"],
                    doc_number=number,
                )
            )
        others = in_case[number] - 1 + record.numbers_elsewhere.get(number, 0)
        if others:
            findings.append(
                DocumentNumberFinding(
                    stage=stage,
                    check="doc_number_duplicate",
                    message=f"{document['doc_type']}: 文号 {number} is used by {others} other document(s) of the agency.",
                    message_zh=f"{name}文号“{number}”与本机关其他 {others} 份文书重复。",
                    document_id=document["id"],
                    doc_number=number,
                )
            )
    return findings


def _party_names(record: ReviewRecord) -> list[ReviewFinding]:
    names = {normalised_name(p["name"]) for p in record.parties}
    if not names:
        return []
    findings: list[ReviewFinding] = []
    for document in record.documents:
        written = document.get("party_name")
        if document["status"] == "void" or not written or normalised_name(written) in names:
            continue
        name = record.document_names.get(document["doc_type"], document["doc_type"])
        findings.append(
            DocumentFinding(
                stage=_stage_of(record, document),
                check="party_name",
                message=f"{document['doc_type']} names the party “{written}”, not as the case does.",
                message_zh=f"{name}中的当事人“{written}”与案件当事人（{'、'.join(p['name'] for p in record.parties)}）不一致。",
                document_id=document["id"],
            )
        )
    return findings


def id_number_valid(kind: str, number: str) -> bool:
    number = unicodedata.normalize("NFKC", number).strip().upper()
    if kind == "organization":
        return uscc.is_valid(number)
    if re.fullmatch(r"\d{15}", number):  # the old 15-digit 身份证 has no check digit: its birth date must be real
        try:
            datetime.strptime("19" + number[6:12], "%Y%m%d")
            return True
        except ValueError:
            return False
    return ric.is_valid(number)


def _party_numbers(record: ReviewRecord) -> list[ReviewFinding]:
    """Identity numbers with a wrong check digit (the number itself is not repeated: reviewers do not see it)."""
    first = record.procedure.stages[0].code
    findings: list[ReviewFinding] = []
    for index, party in enumerate(record.parties):
        number = party.get("id_number")
        if not number or id_number_valid(party["kind"], number):
            continue
        label_zh = "统一社会信用代码" if party["kind"] == "organization" else "身份证号码"
        findings.append(
            PartyFinding(
                stage=first,
                check="party_id_number",
                message=f"party {index + 1} ({party['name']}): the identity number's check digit is wrong.",
                message_zh=f"当事人“{party['name']}”的{label_zh}校验位不正确。",
                party_index=index,
            )
        )
    return findings


def _signatures(record: ReviewRecord) -> list[ReviewFinding]:
    findings: list[ReviewFinding] = []
    for document in record.documents:
        if (
            document["doc_type"] in record.party_signs
            and document["status"] in COUNTED
            and not document["signers"]
            and not (document.get("refusal_note") or "").strip()
        ):
            name = record.document_names.get(document["doc_type"], document["doc_type"])
            findings.append(
                DocumentFinding(
                    stage=_stage_of(record, document),
                    check="record_signature",
                    message=f"{document['doc_type']} has no signature and no note that the party refused to sign.",
                    message_zh=f"{name}无当事人签名，也未注明当事人拒绝签名的情况。",
                    document_id=document["id"],
                )
            )
    return findings


def _witnessed_service(record: ReviewRecord) -> list[ReviewFinding]:
    findings: list[ReviewFinding] = []
    for definition in record.procedure.stages:
        row = record.stages.get(definition.code)
        if row is None or row.status == "skipped" or (row.attributes or {}).get("method") not in WITNESSED_METHODS:
            continue
        witness = (row.attributes or {}).get("witness")
        if (isinstance(witness, str) and witness.strip()) or record.stage_footage.get(definition.code):
            continue
        findings.append(
            ReviewFinding(
                stage=definition.code,
                check="service_witness",
                message=f"{definition.code}: lodged service without a witness (attribute `witness`) or footage.",
                message_zh=f"{definition.name_zh}：留置送达既无见证人（witness），也无音像记录。",
            )
        )
    return findings


def _legal_review(record: ReviewRecord) -> list[ReviewFinding]:
    if not record.facts.get("major_decision"):
        return []
    stage = next((d for d in record.procedure.stages if "legal_review_opinion" in d.optional_documents), None)
    if stage is None:
        return []
    if any(d["doc_type"] == "legal_review_opinion" and d["status"] in COUNTED for d in record.documents):
        return []
    return [
        ReviewFinding(
            stage=stage.code,
            check="legal_review",
            message="A major decision without a legal review record (legal_review_opinion).",
            message_zh=f"{stage.name_zh}：重大执法决定未见法制审核意见书。",
        )
    ]
