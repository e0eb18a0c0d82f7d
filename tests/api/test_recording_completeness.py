"""Footage still being recorded (issue 29) in the completeness checks and the pages, in-process: a stage whose
required audio-visual record is only a `recording` media record is in progress (录制中) — neither complete nor
missing — through the timeline API, and the case page, the footage page and the 未关联音像 list show it as such
(live indicator and 实时查看, no player, no SHA-256)."""

import re

from recording_service.stats.refresh import follow

from ..support.api import TUS, assert_problem, metadata_header, patch
from ..support.cases import CaseWalk
from ..support.inprocess import create_person, signed_in_client

AGENCY = "REC1"
KiB = 1024


def start_recording(http, **metadata: str) -> tuple[str, dict]:
    """A camera streaming with deferred length (tus creation-defer-length): its first bytes make the record."""
    created = http.post("/api/v1/uploads", headers={**TUS, "Upload-Defer-Length": "1", "Upload-Metadata": metadata_header(**metadata)})
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    assert patch(http, location, 0, b"\0\0\0\x18ftypisom" + b"x" * (300 * KiB)).status_code == 204
    media_id = http.get(location).json()["media_id"]
    media = http.get(f"/api/v1/media/{media_id}").json()
    assert media["status"] == "recording" and media["sha256"] is None
    return location, media


def simple_case(http, media_id: str | None) -> CaseWalk:
    """A 简易程序 case whose only requirement left open is the on-the-spot footage."""
    walk = CaseWalk(http, "penalty-simple")
    walk.stage("onsite", "09:00", "09:40", docs=["onsite_penalty_decision"], media=[(media_id, "现场处罚（边录边传）")] if media_id else ())
    return walk


def test_a_stage_whose_footage_is_still_recording_is_in_progress_not_missing(inproc):
    with inproc.client(inproc.token("dock", AGENCY)) as dock, inproc.client(inproc.token("case_system", AGENCY)) as cases:
        _location, media = start_recording(
            dock, filename="DSJ_REC01.mp4", device_id="REC01", officer_ids="3401001", recorded_at="2026-11-03T09:05:00+08:00"
        )
        walk = simple_case(cases, media["id"])
        timeline = walk.timeline()
        without = simple_case(cases, None).timeline()  # the same case without footage: missing, as before
    completeness = timeline["completeness"]
    assert completeness["complete"] is False and completeness["state"] == "recording"
    assert completeness["findings"] == []  # nothing is missing, nor "unplayable"
    [arriving] = completeness["in_progress"]
    assert (arriving["stage"], arriving["kind"], arriving["media_ids"]) == ("onsite", "recording_in_progress", [media["id"]])
    assert "录制中" in arriving["message_zh"]
    onsite = next(s for s in timeline["stages"] if s["stage"] == "onsite")
    assert onsite["in_progress"] == [arriving] and onsite["findings"] == []
    [clip] = onsite["media"]
    assert clip["status"] == "recording" and clip["sha256"] is None
    assert clip["recording"]["bytes_received"] == clip["size"] == media["size"]
    assert clip["recording"]["upload_id"] == media["recording"]["upload_id"] and clip["recording"]["last_received_at"]
    assert without["completeness"]["state"] == "incomplete" and without["completeness"]["in_progress"] == []
    assert [(f["stage"], f["kind"]) for f in without["completeness"]["findings"]] == [("onsite", "missing_audio_visual")]


def test_a_recording_among_findings_leaves_the_case_incomplete_and_the_footage_unjudged(inproc):
    """Elsewhere missing records keep the case incomplete; the recording's own stage says in progress, and a
    recording without a known time is not called timeless while its bytes (which may carry the time) arrive."""
    with inproc.client(inproc.token("dock", AGENCY)) as dock, inproc.client(inproc.token("case_system", AGENCY)) as cases:
        _location, media = start_recording(dock, filename="rec.mp4", device_id="REC02")
        walk = CaseWalk(cases, "penalty-simple")
        walk.stage("onsite", "09:00", media=[(media["id"], None)])  # no decision document: a finding
        timeline = walk.timeline()
    completeness = timeline["completeness"]
    assert completeness["state"] == "incomplete" and completeness["complete"] is False
    assert [(f["stage"], f["kind"]) for f in completeness["findings"]] == [("onsite", "missing_document")]
    assert [(f["stage"], f["kind"]) for f in completeness["in_progress"]] == [("onsite", "recording_in_progress")]


def test_the_pages_show_a_recording_with_its_live_indicator_and_no_player(inproc):
    create_person(inproc, "recaud", "auditor", AGENCY, "周督察")
    with inproc.client(inproc.token("dock", AGENCY)) as dock, inproc.client(inproc.token("case_system", AGENCY)) as cases:
        _location, media = start_recording(dock, filename="DSJ_REC03.mp4", device_id="REC03", recorded_at="2026-11-03T09:05:00+08:00")
        _location, loose = start_recording(dock, filename="DSJ_REC04.mp4", device_id="REC04")
        walk = simple_case(cases, media["id"])
    with signed_in_client(inproc, "recaud") as person:
        case_page = person.get(f"/cases/{walk.case['id']}")
        assert case_page.status_code == 200, case_page.text[:500]
        html = case_page.text
        assert "录制中：1 个环节的音像仍在录制上传" in html and "记录完整：" not in html
        clip = re.search(rf'<li class="clip status-recording[^"]*" data-media="{media["id"]}">(.*?)</li>', html, re.S)
        assert clip, html
        assert f'href="/media/{media["id"]}/live">实时查看</a>' in clip.group(1)
        assert "已收到 300.0 KB" in clip.group(1) and "data-play" not in clip.group(1) and "录制完成后计算" in clip.group(1)
        assert "None" not in clip.group(1)

        footage = person.get(f"/footage/{media['id']}").text
        assert "这段录像正在录制上传" in footage and f'href="/media/{media["id"]}/live"' in footage
        assert "data-play=" not in footage and "录制完成后计算" in footage and "None" not in footage

        unlinked = person.get("/unlinked").text
        row = re.search(rf'<tr class="[^"]*" data-media="{loose["id"]}">(.*?)</tr>', unlinked, re.S)
        assert row and "录制中" in row.group(1) and f'href="/media/{loose["id"]}/live"' in row.group(1)
        assert "录制完成后起算" in row.group(1)

        # Underneath, nothing plays: the play form is refused without a grant (bytes not stored yet).
        token = re.search(r'name="csrf_token" value="([^"]+)"', case_page.text).group(1)
        assert person.post(f"/footage/{media['id']}/play", data={"csrf_token": token}).status_code == 409
    with inproc.client(inproc.token("auditor", AGENCY)) as auditor:
        assert_problem(auditor.get(f"/api/v1/media/{media['id']}/content"), 409, "media-recording")
        granted = auditor.get("/api/v1/audit/events", params={"action": "media.playback.granted", "media_id": media["id"]}).json()
        assert granted["items"] == []


def test_a_case_waiting_only_for_a_recording_is_neither_with_nor_without_problems(inproc):
    """The case list's 有问题 filter: a recording in progress is no finding, and not yet a clean bill either."""
    agency = "REC5"
    with inproc.client(inproc.token("dock", agency)) as dock, inproc.client(inproc.token("case_system", agency)) as cases:
        _location, media = start_recording(dock, filename="DSJ_REC05.mp4", device_id="REC05", recorded_at="2026-11-03T09:05:00+08:00")
        waiting = simple_case(cases, media["id"]).case
        lacking = simple_case(cases, None).case  # the same case without footage: a finding
    inproc.run(lambda sessionmaker, store: follow(sessionmaker, inproc.app.state.catalog, inproc.settings))
    with inproc.client(inproc.token("auditor", agency)) as auditor:
        troubled = auditor.get("/api/v1/cases", params={"has_problems": "true"}).json()
        clean = auditor.get("/api/v1/cases", params={"has_problems": "false"}).json()
        assert [c["id"] for c in troubled["items"]] == [lacking["id"]]
        assert clean["items"] == [] and waiting["id"] not in {c["id"] for c in troubled["items"]}
        assert auditor.get("/api/v1/cases").json()["total"] == 2
    create_person(inproc, "recaud5", "auditor", agency, "吴督察")
    with signed_in_client(inproc, "recaud5") as person:
        listed = person.get("/cases").text
        for case, shown in ((waiting, ">录制中</span>"), (lacking, "1 项</a>")):
            row = re.search(rf'<tr[^>]*>(?:(?!</tr>).)*?/cases/{case["id"]}"(?:(?!</tr>).)*</tr>', listed, re.S)
            assert row and shown in row.group(0), listed
