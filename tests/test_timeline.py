"""Scenario tests: real procedures walked end to end through the HTTP API, read back as a timeline."""

import re

import pytest

from recording_service.timeline.schemas import Timeline

from .support.api import assert_problem
from .support.cases import DAY, CaseWalk
from .support.media import upload_bytes

AGENCY = "TL1"
# The decision comes after the party's 5 working days to ask for a hearing (notice on DAY): 11-10 lapses.
DECIDED = "2026-11-11"


@pytest.fixture(scope="module")
def footage(leg, clips):
    """Real clips uploaded through the ingest path, keyed by name; recorded_at is declared by the dock."""
    made = {}
    with leg.client(leg.token("dock", AGENCY)) as http:
        for name, device, recorded_at in (
            ("inv1", "CAM-A", f"{DAY}T09:10:00+08:00"),
            ("inv2", "CAM-B", f"{DAY}T09:12:00+08:00"),
            ("early", "CAM-A", "2026-11-01T09:10:00+08:00"),
            ("srv", "CAM-A", f"{DECIDED}T15:05:00+08:00"),
            ("seize1", "CAM-S", f"{DAY}T10:00:00+08:00"),
            ("seize2", "CAM-S", f"{DAY}T10:10:02+08:00"),
        ):
            clip = clips(f"{name}.mp4", seconds=2, creation_time=recorded_at.replace("+08:00", "+08:00"))
            made[name] = upload_bytes(
                http, clip.read_bytes(), device_id=device, officer_ids="O1,O2", recorded_at=recorded_at, filename=f"{name}.mp4"
            )
    return made


def penalty_case(
    http, footage, omit=None, investigation_officers=("3401001", "3401002"), service_method="direct", investigation_media=None
):
    """A complete 行政处罚一般程序 case, less whatever `omit` names."""
    walk = CaseWalk(http, "penalty-general")
    walk.stage("filing", "08:00", "08:30", docs=["case_filing_form"])
    walk.stage(
        "investigation",
        "09:00",
        "10:00",
        officers=investigation_officers,
        docs=["onsite_record"],
        media=[] if omit == "investigation_av" else [(m, None) for m in (investigation_media or [footage["inv1"], footage["inv2"]])],
    )
    walk.stage("review", "11:00", "11:30", docs=[] if omit == "review_record" else ["review_record"])
    walk.stage("notification", "13:00", "13:30", docs=["penalty_prior_notice"])
    walk.stage("hearing", None, skip_note="当事人未申请听证")
    walk.stage("decision", "14:00", "14:10", docs=["penalty_decision"], day=DECIDED)
    walk.stage(
        "service",
        "15:00",
        "15:30",
        attributes={"method": service_method},
        docs=["service_receipt"],
        media=[(footage["srv"], None)] if service_method == "lodged" and omit != "service_av" else [],
        day=DECIDED,
    )
    walk.stage("execution", None, skip_note="当事人自动履行")
    walk.stage("closing", "16:00", "16:10", docs=["closing_report"], day=DECIDED)
    walk.stage("archiving", "16:20", "16:30", day=DECIDED)
    return walk


def kinds(timeline):
    return sorted((f["stage"], f["kind"]) for f in timeline["completeness"]["findings"])


def test_complete_penalty_case_reads_complete(leg, footage):
    with leg.client(leg.token("case_system", AGENCY)) as http:
        walk = penalty_case(http, footage)
        timeline = walk.timeline()
        bound = http.get("/api/v1/media", params={"case_id": walk.case["id"]}).json()["items"]
        assert sorted(m["id"] for m in bound) == sorted([footage["inv1"], footage["inv2"]])
    assert timeline["completeness"]["complete"] is True and timeline["completeness"]["findings"] == []
    # The catalog recommends 现场照片 at 调查取证: said, and the record stays complete without them.
    assert [(r["stage"], r["kind"]) for r in timeline["completeness"]["recommendations"]] == [("investigation", "photos_recommended")]
    Timeline.model_validate(timeline)  # the response matches the shape the OpenAPI description documents
    assert [s["stage"] for s in timeline["stages"]][:3] == ["filing", "investigation", "review"]
    statuses = {s["stage"]: s["status"] for s in timeline["stages"]}
    assert statuses["hearing"] == statuses["execution"] == "skipped" and statuses["archiving"] == "closed"
    assert timeline["case"]["status"] == "closed"  # closing the last stage closed the case
    investigation = timeline["stages"][1]
    assert [m["media_id"] for m in investigation["media"]] == [footage["inv1"], footage["inv2"]]
    clip = investigation["media"][0]
    assert clip["recorded_started_at"] == f"{DAY}T09:10:00+08:00" and clip["duration_s"] == pytest.approx(2, abs=0.1)
    assert clip["sha256"] and clip["content_url"].endswith("/content") and clip["device_id"] == "CAM-A"
    assert investigation["documents"][0]["doc_type_name"] == "现场笔录" and investigation["documents"][0]["version_count"] == 1
    times = [e["at"] for e in timeline["entries"]]
    assert times == sorted(times) and {e["kind"] for e in timeline["entries"]} >= {
        "stage_opened",
        "stage_closed",
        "stage_skipped",
        "document_signed",
        "recording",
    }


@pytest.mark.parametrize(
    "variant, expected",
    [
        ({"omit": "review_record"}, [("review", "missing_document")]),
        ({"omit": "investigation_av"}, [("investigation", "missing_audio_visual")]),
        ({"investigation_officers": ("3401001",)}, [("investigation", "insufficient_officers")]),
        # lodged service with neither footage nor a witness: the record lacks the footage, the review the proof
        ({"service_method": "lodged", "omit": "service_av"}, [("service", "missing_audio_visual"), ("service", "review")]),
        ({"investigation_media": ["early"]}, [("investigation", "outside_stage_window")]),
    ],
)
def test_each_missing_record_gives_exactly_its_finding(leg, footage, variant, expected):
    if "investigation_media" in variant:
        variant = {**variant, "investigation_media": [footage[name] for name in variant["investigation_media"]]}
    with leg.client(leg.token("case_system", AGENCY)) as http:
        timeline = penalty_case(http, footage, **variant).timeline()
    assert timeline["completeness"]["complete"] is False
    assert kinds(timeline) == expected
    finding = timeline["completeness"]["findings"][0]
    assert finding["message"]
    if expected[0][1] == "missing_document":
        assert finding["doc_types"] == ["review_record"]
    stage = next(s for s in timeline["stages"] if s["stage"] == expected[0][0])
    assert stage["findings"] == timeline["completeness"]["findings"]


def test_seizure_gap_is_flagged_until_explained(leg, footage):
    with leg.client(leg.token("case_system", AGENCY)) as http:
        walk = CaseWalk(http, "coercion-seizure")
        walk.stage("approval", "09:00", "09:30", docs=["coercion_approval"])
        walk.stage("implementation", "09:55", docs=["seizure_decision", "item_list", "onsite_record"], media=[(footage["seize1"], None)])
        second = walk.bind("implementation", footage["seize2"])
        timeline = walk.timeline()
        gaps = [f for f in timeline["completeness"]["findings"] if f["kind"] == "continuity_gap"]
        assert len(gaps) == 1 and gaps[0]["device_id"] == "CAM-S" and gaps[0]["stage"] == "implementation"
        assert gaps[0]["gap_start"].startswith(f"{DAY}T10:00:02") and gaps[0]["gap_end"] == f"{DAY}T10:10:02+08:00"
        assert 599 <= gaps[0]["gap_s"] <= 601
        # A note on a binding does not explain an interruption: rebinding with one leaves the gap flagged
        # (and history keeps the first binding).
        stage_id = walk.stages["implementation"]
        removed = http.delete(f"/api/v1/cases/{walk.case['id']}/stages/{stage_id}/media/{second}", params={"reason": "rebound with a note"})
        assert removed.status_code == 200 and removed.json()["unbind_reason"] == "rebound with a note"
        walk.bind("implementation", footage["seize2"], note="电池耗尽更换电池后继续录制")
        assert [f["kind"] for f in walk.timeline()["completeness"]["findings"]].count("continuity_gap") == 1
        # An explanation recorded for that device and that gap, with a reason from the catalog, does.
        url = f"/api/v1/cases/{walk.case['id']}/stages/{stage_id}/interruptions"
        gap = {"device_id": "CAM-S", "gap_start": gaps[0]["gap_start"], "gap_end": gaps[0]["gap_end"]}
        assert_problem(http.post(url, json={**gap, "reason": "coffee"}), 400, "unknown-interruption-reason")
        assert_problem(http.post(url, json={**gap, "reason": "other"}), 400, "interruption-needs-text")
        assert_problem(
            http.post(url, json={**gap, "device_id": "CAM-X", "reason": "battery_depleted"} | {"gap_end": gaps[0]["gap_start"]}),
            400,
            "invalid-interruption",
        )
        other_device = http.post(url, json={**gap, "device_id": "CAM-X", "reason": "battery_depleted"})
        assert other_device.status_code == 201
        assert [f["kind"] for f in walk.timeline()["completeness"]["findings"]].count("continuity_gap") == 1  # not that camera
        explained = http.post(url, json={**gap, "reason": "battery_depleted", "text": "电池耗尽，更换电池后继续录制"})
        assert explained.status_code == 201 and explained.json()["reason_name"] == "电量耗尽"
        timeline = walk.timeline()
        assert not [f for f in timeline["completeness"]["findings"] if f["kind"] == "continuity_gap"]
        implementation = next(s for s in timeline["stages"] if s["stage"] == "implementation")
        assert [m["media_id"] for m in implementation["unbound_media"]] == [footage["seize2"]]
        assert [i["reason"] for i in implementation["interruptions"]] == ["battery_depleted", "battery_depleted"]
        shown = [e for e in timeline["entries"] if e["kind"] == "interruption"]  # the interruption stays visible
        assert len(shown) == 2 and shown[0]["at"].endswith("+08:00")
        assert "footage_unbound" in {e["kind"] for e in timeline["entries"]}
        reasons = http.get("/api/v1/interruption-reasons").json()["items"]
        assert {r["code"]: r["name_zh"] for r in reasons}["storage_full"] == "存储已满"
        # The rest of the procedure has not happened yet, and says so.
        assert ("closing", "missing_document") in kinds(timeline)


def test_stage_order_and_state_rules(leg, footage):
    with leg.client(leg.token("case_system", AGENCY)) as http:
        walk = CaseWalk(http, "penalty-general")
        case_id = walk.case["id"]
        post = lambda body: http.post(f"/api/v1/cases/{case_id}/stages", json=body)  # noqa: E731
        assert_problem(post({"stage": "review", "started_at": f"{DAY}T08:00:00+08:00"}), 409, "stage-out-of-order")
        assert_problem(post({"stage": "filing", "skipped": True, "note": "x"}), 409, "stage-required")
        assert_problem(post({"stage": "trial", "started_at": f"{DAY}T08:00:00+08:00"}), 400, "unknown-stage")
        assert_problem(post({"stage": "filing", "started_at": f"{DAY}T08:00:00+08:00", "officers": ["X9"]}), 400, "unknown-officer")
        filing = walk.stage("filing", "08:00")
        assert_problem(post({"stage": "investigation", "started_at": f"{DAY}T09:00:00+08:00"}), 409, "stage-out-of-order")
        assert_problem(post({"stage": "filing", "started_at": f"{DAY}T08:00:00+08:00"}), 409, "stage-exists")
        close = lambda body: http.patch(f"/api/v1/cases/{case_id}/stages/{filing}", json=body)  # noqa: E731
        assert_problem(close({"ended_at": f"{DAY}T07:00:00+08:00"}), 400, "invalid-time")
        closed = close({"ended_at": f"{DAY}T08:30:00+08:00", "note": "立案审批完成"})
        assert closed.status_code == 200 and closed.json()["notes"][-1]["at"].endswith("+08:00")  # the agency's zone
        assert_problem(close({"ended_at": f"{DAY}T08:40:00+08:00"}), 409, "stage-not-open")
        walk.stage("investigation", "09:00", "10:00")
        walk.stage("review", "11:00", "11:30")
        walk.stage("notification", "13:00", "13:30")
        assert_problem(post({"stage": "hearing", "skipped": True}), 400, "skip-needs-note")


def test_documents_keep_every_version(leg, footage):
    with leg.client(leg.token("case_system", AGENCY)) as http:
        walk = CaseWalk(http, "penalty-simple")
        stage_id = walk.stage("onsite", "10:00")
        case_id = walk.case["id"]
        created = http.post(
            f"/api/v1/cases/{case_id}/documents",
            json={
                "stage_id": stage_id,
                "doc_type": "onsite_penalty_decision",
                "title": "当场处罚决定书",
                "status": "draft",
                "attachment_media_id": footage["inv1"],
            },
        )
        assert created.status_code == 201, created.text
        document = created.json()
        assert document["version_count"] == 1 and document["current"]["status"] == "draft"
        assert kinds(walk.timeline())[0] == ("onsite", "missing_audio_visual")
        assert ("onsite", "missing_document") in kinds(walk.timeline())  # a draft does not count yet
        signed = http.post(
            f"/api/v1/documents/{document['id']}/versions",
            json={
                "title": "当场处罚决定书",
                "status": "signed",
                "doc_number": "濉卫医罚〔2026〕7号",
                "signed_at": f"{DAY}T10:05:00+08:00",
                "change_note": "签字",
            },
        )
        assert signed.status_code == 201
        history = http.get(f"/api/v1/documents/{document['id']}").json()
        assert [v["version"] for v in history["versions"]] == [1, 2] and history["versions"][0]["status"] == "draft"
        assert history["current"]["doc_number"] == "濉卫医罚〔2026〕7号" and history["version_count"] == 2
        assert ("onsite", "missing_document") not in kinds(walk.timeline())
        assert_problem(
            http.post(f"/api/v1/cases/{case_id}/documents", json={"stage_id": stage_id, "doc_type": "tax_form", "title": "x"}),
            400,
            "unknown-document-type",
        )

        # A version carries forward what it does not change; status only moves forward.
        versions = f"/api/v1/documents/{document['id']}/versions"
        issued = http.post(versions, json={"status": "issued", "issued_at": f"{DAY}T10:10:00+08:00"}).json()
        assert issued["current"]["doc_number"] == "濉卫医罚〔2026〕7号" and issued["current"]["title"] == "当场处罚决定书"
        assert issued["current"]["signed_at"] == f"{DAY}T10:05:00+08:00" and issued["current"]["attachment_media_id"] == footage["inv1"]
        assert_problem(http.post(versions, json={"status": "draft"}), 409, "status-backwards")
        assert_problem(http.post(versions, json={"status": "served"}), 400, "served-needs-served-at")
        assert_problem(http.post(versions, json={"status": "void"}), 400, "void-needs-reason")
        assert_problem(http.post(versions, json={"statuss": "void"}), 422, "validation-error")
        served = http.post(versions, json={"status": "served", "served_at": f"{DAY}T10:20:00+08:00"})
        assert served.status_code == 201 and served.json()["version_count"] == 4
        assert_problem(
            http.post(
                f"/api/v1/cases/{case_id}/documents",
                json={"stage_id": stage_id, "doc_type": "onsite_penalty_decision", "title": "x", "status": "served"},
            ),
            400,
            "served-needs-served-at",
        )
        # Registered by mistake: void, with a reason; it then no longer counts, and takes no more versions.
        void = http.post(versions, json={"status": "void", "change_note": "登记错误，重复录入"})
        assert void.status_code == 201 and void.json()["current"]["status"] == "void"
        assert ("onsite", "missing_document") in kinds(walk.timeline())
        assert_problem(http.post(versions, json={"title": "改"}), 409, "document-void")
    with leg.client(leg.token("case_system", "OTHER-AG")) as http:
        assert_problem(http.get(f"/api/v1/documents/{document['id']}"), 404, "document-not-found")
        other = CaseWalk(http, "penalty-simple")
        other_stage = other.stage("onsite", "10:00")
        response = http.post(f"/api/v1/cases/{other.case['id']}/stages/{other_stage}/media", json={"media_id": footage["inv1"]})
        assert_problem(response, 404, "media-not-found")  # another agency's footage
        assert_problem(http.get(f"/api/v1/cases/{walk.case['id']}/timeline"), 404)


def test_timeline_is_assembled_in_a_constant_number_of_statements(leg, footage):
    def statements(response) -> int:
        return int(re.search(r'desc="(\d+) statements"', response.headers["Server-Timing"]).group(1))

    with leg.client(leg.token("case_system", AGENCY)) as http:
        small = CaseWalk(http, "penalty-simple")
        small.stage("onsite", "10:00", docs=["onsite_penalty_decision"], media=[(footage["inv1"], None)])
        large = penalty_case(http, footage, service_method="lodged")
        for name in ("early", "seize1", "seize2"):
            large.bind("investigation", footage[name])
        counts = {statements(http.get(f"/api/v1/cases/{walk.case['id']}/timeline")) for walk in (small, large)}
    # the officer register adds two, the calendar one, limit adjustments one, the agency's other 文号 one, whatever the case's size
    assert len(counts) == 1 and counts.pop() <= 11


def test_unplayable_footage_and_footage_without_a_time_do_not_pass_unseen(leg, clips):
    with leg.client(leg.token("dock", AGENCY)) as http:
        scan = upload_bytes(http, b"%PDF-1.4 scanned record " * 400, filename="scan.pdf", recorded_at=f"{DAY}T10:01:00+08:00")
        timeless = upload_bytes(
            http, clips("timeless.mp4", seconds=1, audio=False, size="160x120").read_bytes() + b"\0", filename="clip.mp4"
        )  # no metadata, no container time, no time in the name
        assert http.get(f"/api/v1/media/{timeless}").json()["recorded_started_at"] is None
    with leg.client(leg.token("case_system", AGENCY)) as http:
        walk = CaseWalk(http, "penalty-simple")
        walk.stage("onsite", "10:00", docs=["onsite_penalty_decision"], media=[(scan, None)])
        findings = walk.timeline()["completeness"]["findings"]
        unusable = [f for f in findings if f["kind"] == "unusable_audio_visual"]
        assert len(unusable) == 1 and unusable[0]["media_ids"] == [scan] and "probe_failed" in unusable[0]["message"]
        assert not [f for f in findings if f["kind"] == "missing_audio_visual"]
        walk.bind("onsite", timeless)
        timeline = walk.timeline()
        kinds_now = kinds(timeline)
        assert ("onsite", "unusable_audio_visual") not in kinds_now  # a playable recording is bound now
        unknown = [f for f in timeline["completeness"]["findings"] if f["kind"] == "unknown_recording_time"]
        assert [f["media_id"] for f in unknown] == [timeless] and timeline["completeness"]["complete"] is False
