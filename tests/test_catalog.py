"""The procedure catalog: data files validated at start-up, served as JSON."""

import os

import pytest

from recording_service.catalog import service as catalog_service

from .support.api import assert_problem
from .support.catalog import catalog_copy
from .support.servers import ServiceProcess


def test_procedures_are_served_with_stages_and_rules(leg):
    with leg.client(leg.token("case_system")) as http:
        page = http.get("/api/v1/procedures").json()
        assert page["next_cursor"] is None
        procedures = {p["code"]: p for p in page["items"]}
        assert set(procedures) == {
            "penalty-general",
            "penalty-simple",
            "inspection-routine",
            "coercion-seizure",
            "license",
            "levy",
            "confirmation-medical-incident",
        }
        general = procedures["penalty-general"]
        assert general["name_zh"] == "行政处罚一般程序"
        assert [s["code"] for s in general["stages"]] == [
            "filing",
            "investigation",
            "review",
            "notification",
            "hearing",
            "decision",
            "service",
            "execution",
            "closing",
            "archiving",
        ]
        investigation = general["stages"][1]
        assert investigation["documents"] == [{"one_of": ["onsite_record", "inquiry_record"], "when": None}]
        assert investigation["av"]["rule"] == "required" and investigation["officers"]["min"] == 2
        service = general["stages"][6]
        assert service["av"] == {
            "rule": "conditional",
            "when": {"attribute": "method", "equals": None, "in": ["lodged", "public_notice"], "label_zh": "留置送达或公告送达时"},
        }
        assert general["kind"] == "penalty" and procedures["license"]["kind"] == "license"
        assert [s["code"] for s in general["stages"] if s["optional"]] == ["hearing", "execution"]
        assert procedures["coercion-seizure"]["stages"][1]["av"]["rule"] == "whole_process"
        assert http.get("/api/v1/procedures/license").json()["stages"][1]["code"] == "verification"
        assert_problem(http.get("/api/v1/procedures/penalty-unknown"), 404, "procedure-not-found")
        types = {d["code"]: d for d in http.get("/api/v1/document-types").json()["items"]}
        assert types["service_receipt"]["name_zh"] == "送达回证" and len(types) >= 20


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: t.replace("one_of: [review_record]", "one_of: [review_minutes]"), "unknown document types"),
        (lambda t: t.replace("{code: review, order: 3", "{code: review, order: 4"), "stage orders"),
        (
            lambda t: t.replace(
                "av: {rule: conditional, when: {attribute: oral_statement, equals: true, label_zh: 当事人口头陈述申辩时}}",
                "av: {rule: conditional}",
            ),
            "conditional",
        ),
        (lambda t: t.replace("name_zh: 行政处罚一般程序", "name_zh: [unclosed"), "invalid"),
    ],
)
def test_a_bad_catalog_stops_the_service_at_start(tmp_path, edit, message):
    directory = catalog_copy(tmp_path)
    procedures = directory / "procedures.yaml"
    procedures.write_text(edit(procedures.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(catalog_service.CatalogError, match=message):
        catalog_service.load_catalog(directory)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECORDING_")}
    env.update(
        RECORDING_CATALOG_DIR=str(directory),
        RECORDING_DATABASE_URL=f"sqlite:///{tmp_path}/r.db",
        RECORDING_STORAGE_URL=f"file://{tmp_path}/objects",
    )
    service = ServiceProcess(env, tmp_path)
    result = service.cli("serve", "--port", "1", check=False)
    assert result.returncode == 2 and "catalog" in result.stderr


def test_a_new_procedure_is_a_data_change(tmp_path, leg):
    directory = catalog_copy(tmp_path)
    with open(directory / "procedures.yaml", "a", encoding="utf-8") as handle:
        handle.write("""
- code: occupational-health-check
  name_zh: 职业卫生专项检查
  name_en: Occupational health special inspection
  stages:
    - {code: inspection, order: 1, name_zh: 现场检查, name_en: On-site inspection,
       documents: [{one_of: [onsite_record]}], av: {rule: required}, officers: {min: 2}}
""")
    custom = ServiceProcess({**leg.service.env, "RECORDING_CATALOG_DIR": str(directory)}, tmp_path).start()
    try:
        with leg.client(leg.token("auditor")) as http:
            http.base_url = custom.base_url
            procedure = http.get("/api/v1/procedures/occupational-health-check").json()
        assert procedure["stages"][0]["officers"] == {"min": 2, "when": None}
    finally:
        custom.stop()


@pytest.mark.parametrize(
    "name, edit, message",
    [
        ("review_sheet.yaml", lambda t: t.replace("(?P<year>", "(?P<yr>"), "named group `year`"),
        ("review_sheet.yaml", lambda t: t.replace("〔(?P<year>", "〔((?P<year>"), "doc number pattern"),
        ("review_sheet.yaml", lambda t: t.replace("points: 15", "points: -15", 1), "greater than 0"),
        # an item a reviewer judges has no deductions; an item scored from the data needs them
        (
            "review_sheet.yaml",
            lambda t: t.replace(
                "    judged_by: reviewer\n", "    judged_by: reviewer\n    deductions: [{kind: integrity, points: 1}]\n", 1
            ),
            "has no deductions",
        ),
        ("review_sheet.yaml", lambda t: t.replace("    deductions:\n      - {kind: integrity, points: 5}\n", ""), "needs deductions"),
        ("time_limits.yaml", lambda t: t.replace("pauses: [testing, appraisal]", "pauses: [testing, holiday]"), "unknown pause reasons"),
        ("time_limits.yaml", lambda t: t.replace("from: {fact: violation_ended_on}", "from: {fact: violation_date}", 1), "fact event"),
        (
            "time_limits.yaml",
            lambda t: t.replace("unless_stage_skipped: referral", "unless_stage_skipped: referal"),
            "confirmation-medical-incident has no stage referal",
        ),
        # the published lists: a matter handled under a procedure of another kind, or an unknown one, a repeated code, a typo
        ("matters.yaml", lambda t: t.replace("procedure: penalty-simple", "procedure: license"), "is penalty but procedure license"),
        ("matters.yaml", lambda t: t.replace("procedure: penalty-simple", "procedure: penalty-fast"), "unknown procedure"),
        ("matters.yaml", lambda t: t.replace("procedure: levy", "procedure: confirmation-medical-incident"), "is levy but procedure"),
        ("matters.yaml", lambda t: t.replace("code: medical-waste-penalty", "code: unlicensed-medical-practice-penalty"), "codes repeat"),
        ("matters.yaml", lambda t: t.replace("handling_unit: 县卫生健康综合监督执法大队\n", "handlng_unit: x\n", 1), "handlng_unit"),
        ("inspection_matters.yaml", lambda t: t.replace("ratio_percent: 5", "ratio_percent: 500", 1), "ratio_percent"),
        # what the statistics count by
        (
            "statistics.yaml",
            lambda t: t.replace("{code: fine, name_zh: 罚款", "{code: warning, name_zh: 罚款"),
            "penalty kind codes repeat",
        ),
        ("statistics.yaml", lambda t: t.replace("score_bands_percent: [60, 70, 80, 90]", "score_bands_percent: [90, 60]"), "rise strictly"),
        ("procedures.yaml", lambda t: t.replace("decided_by: [license_decision]", "decided_by: [licence_decision]"), "decided_by"),
    ],
)
def test_a_bad_catalog_file_stops_the_service_at_start(tmp_path, name, edit, message):
    directory = catalog_copy(tmp_path)
    path = directory / name
    edited = edit(path.read_text(encoding="utf-8"))
    assert edited != path.read_text(encoding="utf-8")  # the edit found its text
    path.write_text(edited, encoding="utf-8")
    with pytest.raises(catalog_service.CatalogError, match=message):
        catalog_service.load_catalog(directory)


def test_an_agencys_own_review_sheet_is_a_data_change(tmp_path, leg):
    """An agency scores by its own 评查标准 and numbers its documents its own way: only the data file changes."""
    from .support.cases import decided_case

    directory = catalog_copy(tmp_path)
    sheet = directory / "review_sheet.yaml"
    text = sheet.read_text(encoding="utf-8").replace("code: health-default", "code: suixi-2026")
    text = text.replace("doc_number_patterns: {}", "doc_number_patterns: {CATSHEET: '^濉卫\\w{1,4}〔(?P<year>\\d{4})〕第\\d+号$'}")
    text = text.replace("{kind: missing_audio_visual, points: 10}", "{kind: missing_audio_visual, points: 4}")
    sheet.write_text(text, encoding="utf-8")
    custom = ServiceProcess({**leg.service.env, "RECORDING_CATALOG_DIR": str(directory)}, tmp_path).start()
    try:
        with leg.client(leg.token("case_system", "CATSHEET")) as http:
            http.base_url = custom.base_url
            case = decided_case(http, filed="2026-09-01", decided="2026-09-15")  # numbered 濉卫医罚〔2026〕N号
            review = http.get(f"/api/v1/cases/{case.id}/review").json()
        assert review["sheet"]["code"] == "suixi-2026"
        lost = {d["item"]: d["points_lost"] for d in review["deductions"]}
        assert lost["audio_visual"] == 4  # the investigation's missing footage costs this agency 4, not 10
        assert lost["documents"] == 10  # five documents whose 文号 lacks this agency's 第, 2 points each, at most 10
    finally:
        custom.stop()
