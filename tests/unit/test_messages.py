"""The message catalogue (core/messages.yaml): complete for the codes people meet, and its helpers."""

from datetime import date
from importlib import resources

import pytest
import yaml
from pydantic import ValidationError

from recording_service.cases.schemas import DocumentStatus
from recording_service.core.messages import (
    CJK,
    error_zh,
    errors_zh,
    is_chinese,
    load_messages,
    messages,
    name_of,
    problem_zh,
    validation_zh,
)
from recording_service.core.principals import Role
from recording_service.core.problems import Problem
from recording_service.ingest.metadata import Flag
from recording_service.officers.schemas import CertificateStatus, OfficerCreate


def test_every_code_people_meet_has_its_chinese_word():
    for kind, codes in (
        ("document_status", list(DocumentStatus)),
        ("media_flag", list(Flag)),
        ("role", list(Role)),
        ("certificate_status", list(CertificateStatus)),
        ("time_source", ["metadata", "container", "filename"]),
        ("officer_history_reason", ["registered", "bulk import"]),
    ):
        for code in codes:
            word = name_of(kind, code.value if hasattr(code, "value") else code)
            assert CJK.search(word), (kind, code, word)


def test_documents_read_in_the_order_of_practice():
    """草稿 → 已签批 → 已签发 → 已送达: the API's draft → signed → issued → served, in 执法文书 words."""
    words = [name_of("document_status", s) for s in ("draft", "signed", "issued", "served")]
    assert words == ["草稿", "已签批", "已签发", "已送达"]


def test_a_validation_error_names_the_field_by_its_label():
    with pytest.raises(ValidationError) as refused:
        OfficerCreate(
            officer_id="34 01",
            name="张三",
            unit="某县卫健委",
            certificate_number="皖1",
            categories=["医疗卫生"],
            valid_from="2024-02-30",
            valid_to=date(2028, 1, 1),
        )
    lines = errors_zh(refused.value.errors(), "officer", row=3)
    assert "第 3 行 执法人员编号：只能由字母、数字和 _ . - 组成" in lines
    assert "第 3 行 有效期起：不是有效日期（应为 YYYY-MM-DD）" in lines
    assert all(is_chinese(line) for line in lines)
    assert "；" in validation_zh(refused.value, "officer")


def test_error_context_fills_the_words_and_unknown_english_never_shows():
    assert error_zh({"type": "string_too_long", "ctx": {"max_length": 100}, "msg": "String should have at most 100 characters"}) == (
        "过长（最多 100 个字）"
    )
    assert error_zh({"type": "value_error", "msg": "Value error, valid_to lies before valid_from"}) == "有效期止早于有效期起"
    assert error_zh({"type": "something_new", "msg": "Something nobody translated"}) == messages().errors["value_error"]


def test_a_problem_on_a_page_is_chinese():
    assert problem_zh(Problem(409, "notice-missing", "Record that the party was told …")) == messages().problems["notice-missing"]
    assert problem_zh(Problem(400, "invalid-query", "A period is at most 3660 days.", detail_zh="统计期间最长 3660 天。")) == (
        "统计期间最长 3660 天。"
    )
    assert problem_zh(Problem(404, "agency-not-found", "没有这个单位的信息。")) == "没有这个单位的信息。"
    assert problem_zh(Problem(418, "never-heard-of", "English only"), "") == ""
    assert is_chinese(problem_zh(Problem(418, "never-heard-of", "English only")))


def test_the_catalogue_has_no_empty_text_and_no_english_in_problems():
    catalogue = messages()
    for code, text in catalogue.problems.items():
        assert is_chinese(text), (code, text)


def test_a_refused_query_names_its_field_or_says_only_that_one_was_wrong():
    errors = [
        {"type": "string_pattern_mismatch", "loc": ("query", "status"), "msg": "String should match pattern", "ctx": {"pattern": "^a"}},
        {"type": "string_too_long", "loc": ("query", "nobody_labelled_me"), "msg": "too long", "ctx": {"max_length": 10}},
    ]
    assert errors_zh(errors, "page") == ["状态：格式不对", "某一项：过长（最多 10 个字）"]


def test_a_word_given_twice_stops_the_catalogue():
    raw = (resources.files("recording_service.core") / "messages.yaml").read_text(encoding="utf-8")
    assert load_messages(raw).fields["page"]["page"] == "页码"
    doubled = raw.replace("    page: 页码\n", "    page: 页码\n    page: 第几页\n", 1)
    with pytest.raises(yaml.YAMLError, match="given twice"):
        load_messages(doubled)
