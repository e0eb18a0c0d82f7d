"""Footage nobody filed (issue 27) through the API of the app in this process: footage bound to no stage and attached
to no document, by age, with the day its retention ends as the retention sweep decides it; the warning list of what
the sweep would delete within N days; another agency's footage not there; unknown parameters refused; the route
before /api/v1/media/{media_id}; and 关联率 in the statistics."""

import io
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import update

from recording_service.core.db import commit
from recording_service.custody.retention import sweep
from recording_service.media.models import Media

from ..support.api import assert_problem
from ..support.cases import case_body
from ..support.clock import agency_today
from ..support.inprocess import create_person, signed_in_client

TZ = ZoneInfo("Asia/Shanghai")


def upload(http, name: str, **fields: str) -> str:
    stored = http.post(
        "/api/v1/media",
        data={"filename": f"{name}.mp4", **fields},
        files={"file": (f"{name}.mp4", f"{name} {uuid.uuid4()}".encode(), "video/mp4")},
    )
    assert stored.status_code == 201, stored.text
    return stored.json()["id"]


def backdate(inproc, ages: dict[str, float]) -> dict[str, datetime]:
    """Set the footage's upload time `days` ago, described (what a dock's upload of long ago, probed since, left)."""
    now = datetime.now(TZ)
    when = {media_id: now - timedelta(days=days) for media_id, days in ages.items()}

    async def work(sessionmaker, store):
        async with sessionmaker() as session:
            for media_id, at in when.items():
                await session.execute(update(Media).where(Media.id == media_id).values(uploaded_at=at, status="ready"))
            await commit(session)

    inproc.run(work)
    return when


def ends_on(uploaded_at: datetime, days: int = 184) -> str:
    return (uploaded_at + timedelta(days=days)).astimezone(TZ).date().isoformat()


def opened_stage(http, **case) -> tuple[str, str]:
    created = http.post("/api/v1/cases", json=case_body(procedure="penalty-simple", **case))
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    stage = http.post(f"/api/v1/cases/{case_id}/stages", json={"stage": "onsite", "started_at": "2026-11-03T10:00:00+08:00"})
    assert stage.status_code == 201, stage.text
    return case_id, stage.json()["id"]


def test_footage_bound_to_no_case_by_age_with_its_retention_end(inproc):
    agency, other = f"UL{uuid.uuid4().hex[:6]}", f"UO{uuid.uuid4().hex[:6]}"
    with inproc.client(inproc.token("dock", agency)) as dock:
        ids = {
            "old": upload(dock, "old", device_id="CAM-7", officer_ids="3401001"),
            "important": upload(dock, "important", flag="important", device_id="CAM-7"),
            "past": upload(dock, "past", device_id="CAM-8"),
            "fresh": upload(dock, "fresh", device_id="CAM-8", officer_ids="3401002"),
            "bound": upload(dock, "bound"),
            "attached": upload(dock, "attached"),
            "unbound": upload(dock, "unbound"),
        }
    with inproc.client(inproc.token("dock", other)) as dock:
        elsewhere = upload(dock, "elsewhere")
    uploaded = backdate(
        inproc, {ids["old"]: 175, ids["important"]: 200, ids["past"]: 185, ids["unbound"]: 40, ids["attached"]: 400, elsewhere: 175}
    )

    with inproc.client(inproc.token("case_system", agency)) as http:
        case_id, stage_id = opened_stage(http)
        bind = f"/api/v1/cases/{case_id}/stages/{stage_id}/media"
        assert http.post(bind, json={"media_id": ids["bound"]}).status_code == 201
        again = http.post(bind, json={"media_id": ids["unbound"]}).json()
        removed = http.delete(f"{bind}/{again['id']}", params={"reason": "绑错了案件"})
        assert removed.status_code == 200, removed.text
        document = {
            "stage_id": stage_id,
            "doc_type": "onsite_penalty_decision",
            "title": "当场行政处罚决定书",
            "status": "signed",
            "doc_number": f"濉卫当罚〔2026〕{uuid.uuid4().int % 10000}号",
            "signed_at": "2026-11-03T10:20:00+08:00",
            "attachment_media_id": ids["attached"],
        }
        assert http.post(f"/api/v1/cases/{case_id}/documents", json=document).status_code == 201

        listed = http.get("/api/v1/media/unlinked")
        assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        # oldest upload first; neither the bound nor the attached footage; unbinding leaves it unfiled again
        assert [i["id"] for i in items] == [ids["important"], ids["past"], ids["old"], ids["unbound"], ids["fresh"]]
        by_id = {i["id"]: i for i in items}
        old = by_id[ids["old"]]
        assert old["age_days"] == 175 and old["device_id"] == "CAM-7" and old["officer_ids"] == ["3401001"]
        assert old["retention_class"] == "standard" and old["retention_ends_on"] == ends_on(uploaded[ids["old"]])
        assert old["legal_hold"] is False and old["sha256"] and old["content_url"] == f"/api/v1/media/{ids['old']}/content"
        # flagged important: its own class keeps it for ever
        assert by_id[ids["important"]]["retention_class"] == "important" and by_id[ids["important"]]["retention_ends_on"] is None
        assert by_id[ids["fresh"]]["age_days"] == 0
        assert by_id[ids["fresh"]]["retention_ends_on"] == ends_on(datetime.fromisoformat(by_id[ids["fresh"]]["uploaded_at"]))

        older = http.get("/api/v1/media/unlinked", params={"older_than_days": 100}).json()["items"]
        assert [i["id"] for i in older] == [ids["important"], ids["past"], ids["old"]]
        assert [i["id"] for i in http.get("/api/v1/media/unlinked", params={"device_id": "CAM-8"}).json()["items"]] == [
            ids["past"],
            ids["fresh"],
        ]
        assert [i["id"] for i in http.get("/api/v1/media/unlinked", params={"officer_id": "3401002"}).json()["items"]] == [ids["fresh"]]
        # the warning list: what the sweep would delete within 30 days (already past its end included), never the important
        warned = http.get("/api/v1/media/unlinked", params={"expiring_within_days": 30}).json()["items"]
        assert [i["id"] for i in warned] == [ids["past"], ids["old"]]

        # pages by cursor, as GET /api/v1/media
        first = http.get("/api/v1/media/unlinked", params={"limit": 2}).json()
        second = http.get("/api/v1/media/unlinked", params={"limit": 2, "cursor": first["next_cursor"]}).json()
        third = http.get("/api/v1/media/unlinked", params={"limit": 2, "cursor": second["next_cursor"]}).json()
        assert [i["id"] for i in first["items"] + second["items"] + third["items"]] == [i["id"] for i in items]
        assert third["next_cursor"] is None

        summary = http.get("/api/v1/media/unlinked/summary")
        assert summary.status_code == 200, summary.text
        figures = summary.json()
        assert figures["total"] == 5 and figures["expiring_within_days"] == 30
        assert [(b["from_days"], b["to_days"], b["count"]) for b in figures["by_age"]] == [
            (0, 7, 1),
            (7, 30, 0),
            (30, 90, 1),
            (90, 180, 1),
            (180, None, 2),
        ]
        assert figures["expiring"] == 2 and figures["past_retention"] == 1
        assert figures["expiring_earliest_on"] == ends_on(uploaded[ids["past"]])
        assert figures["retention_class"] == "standard" and figures["retention_days"] == 184
        wider = http.get("/api/v1/media/unlinked/summary", params={"expiring_within_days": 150}).json()
        assert wider["expiring"] == 3 and wider["expiring_within_days"] == 150  # the one 40 days old too

        # refused: what the route does not take, and days out of range
        body = assert_problem(http.get("/api/v1/media/unlinked", params={"older_than_day": 3}), 400, "unknown-parameter")
        assert body["field"] == "older_than_day"
        assert_problem(http.get("/api/v1/media/unlinked/summary", params={"limit": 3}), 400, "unknown-parameter")
        assert http.get("/api/v1/media/unlinked", params={"older_than_days": 3651}).status_code == 422
        assert http.get("/api/v1/media/unlinked", params={"older_than_days": -1}).status_code == 422
        assert_problem(http.get("/api/v1/media/unlinked", params={"recorded_from": "2026-11-03T10:00:00"}), 400, "invalid-query")

        # the route is not taken for a media id, and one media item is still read by its id
        assert http.get(f"/api/v1/media/{ids['old']}").json()["id"] == ids["old"]
        assert_problem(http.get("/api/v1/media/unlinked/content"), 404, "media-not-found")

    # another agency's footage is not there, and it sees its own
    with inproc.client(inproc.token("auditor", other)) as http:
        assert [i["id"] for i in http.get("/api/v1/media/unlinked").json()["items"]] == [elsewhere]
    with inproc.client(inproc.token("auditor", agency)) as http:
        assert elsewhere not in {i["id"] for i in http.get("/api/v1/media/unlinked").json()["items"]}

    # the same rule as the sweep: what it would delete now is what the summary counts as past retention, on the same day
    async def dry_run(sessionmaker, store):
        return await sweep(sessionmaker, store, inproc.app.state.catalog, inproc.settings, dry_run=True)

    report = inproc.run(dry_run)
    swept = {d["media_id"]: d for d in report.deleted if d["agency"] == agency}
    # a document's attachment (a scanned 执法文书) long past the standard class is kept by its open case, like bound footage
    assert list(swept) == [ids["past"]]
    assert datetime.fromisoformat(swept[ids["past"]]["retention_ended_at"]).astimezone(TZ).date().isoformat() == ends_on(
        uploaded[ids["past"]]
    )


def test_a_legal_hold_keeps_unfiled_footage_off_the_warning(inproc):
    agency = f"UH{uuid.uuid4().hex[:6]}"
    with inproc.client(inproc.token("dock", agency)) as dock:
        held = upload(dock, "held")
    backdate(inproc, {held: 179})
    with inproc.client(inproc.token("auditor", agency)) as http:
        assert http.post("/api/v1/holds", json={"media_id": held, "reason": "行政复议中"}).status_code == 201
        item = http.get("/api/v1/media/unlinked").json()["items"][0]
        assert item["id"] == held and item["legal_hold"] is True and item["retention_ends_on"]
        assert http.get("/api/v1/media/unlinked", params={"expiring_within_days": 30}).json()["items"] == []
        assert http.get("/api/v1/media/unlinked/summary").json()["expiring"] == 0


def test_filing_rate_in_the_statistics(inproc):
    agency = f"UF{uuid.uuid4().hex[:6]}"
    with inproc.client(inproc.token("dock", agency)) as dock:
        ids = {name: upload(dock, name) for name in ("soon", "late", "never", "recent")}
    backdate(inproc, {ids["late"]: 10, ids["never"]: 12})
    with inproc.client(inproc.token("case_system", agency)) as http:
        case_id, stage_id = opened_stage(http)
        for name in ("soon", "late"):
            assert http.post(f"/api/v1/cases/{case_id}/stages/{stage_id}/media", json={"media_id": ids[name]}).status_code == 201
    period = {"from": (agency_today() - timedelta(days=40)).isoformat(), "to": (agency_today() + timedelta(days=1)).isoformat()}
    with inproc.client(inproc.token("auditor", agency)) as http:
        answer = http.get("/api/v1/stats/filing-rate", params=period)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["title_zh"].startswith("音像关联率")
        assert body["totals"] == {"uploaded": 4, "filed_within": 1, "filed_later": 1, "not_filed": 1, "pending": 1, "rate": 0.3333}
        assert "agency" not in [c["key"] for c in body["columns"]]
        assert sum(row["uploaded"] for row in body["rows"]) == 4 and all(len(row["month"]) == 7 for row in body["rows"])
        csv = http.get("/api/v1/stats/filing-rate", params={**period, "format": "csv"}).content.decode("utf-8-sig")
        assert csv.splitlines()[0] == "上传月份,上传音像,7日内关联,7日后关联,未关联,上传未满7日、尚未关联,关联率"
        sheet = load_workbook(io.BytesIO(http.get("/api/v1/stats/filing-rate", params={**period, "format": "xlsx"}).content)).active
        assert [c.value for c in sheet[2]][-1] == "关联率" and sheet.cell(3, 7).number_format.endswith("%")

    # rebuilt from scratch (`stats refresh --all`) and caught up (footage from before the figures) alike
    from sqlalchemy import delete

    from recording_service.stats.filing import catch_up_filings, rebuild_filings
    from recording_service.stats.models import MediaFiling

    async def rebuild(sessionmaker, store):
        async with sessionmaker() as session:
            await session.execute(delete(MediaFiling).where(MediaFiling.agency == agency))
            await commit(session)
        async with sessionmaker() as session:
            caught = await catch_up_filings(session, inproc.settings.tz)
            await commit(session)
        return caught, await rebuild_filings(sessionmaker, inproc.settings)

    caught, rebuilt = inproc.run(rebuild)
    assert caught >= 4 and rebuilt >= 4
    with inproc.client(inproc.token("auditor", agency)) as http:
        assert http.get("/api/v1/stats/filing-rate", params=period).json()["totals"]["rate"] == 0.3333

    # the dashboard shows it beside the others
    create_person(inproc, f"uf{agency.lower()}", "auditor", agency, "钱监督")
    with signed_in_client(inproc, f"uf{agency.lower()}") as browser:
        dashboard = browser.get("/stats", params=period)
        assert dashboard.status_code == 200
        section = dashboard.text[dashboard.text.index('id="filing-rate"') :]
        assert "<th>关联率</th>" in section[: section.index("</table>")]


def test_the_unlinked_footage_page(inproc):
    agency = f"UP{uuid.uuid4().hex[:6]}"
    with inproc.client(inproc.token("admin", agency)) as admin:
        officer = {
            "officer_id": "3401001",
            "name": "张三",
            "unit": "濉溪县卫生监督所",
            "certificate_number": "皖卫执0001",
            "categories": ["医疗卫生"],
            "valid_from": "2024-01-01",
            "valid_to": (agency_today() + timedelta(days=400)).isoformat(),
        }
        assert admin.post("/api/v1/officers", json=officer).status_code == 201
    with inproc.client(inproc.token("dock", agency)) as dock:
        soon = upload(dock, "soon", device_id="CAM-9", officer_ids="3401001,3409999")
        fresh = upload(dock, "fresh", device_id="CAM-1")
    uploaded = backdate(inproc, {soon: 170})
    person = f"up{uuid.uuid4().hex[:6]}"
    create_person(inproc, person, "reviewer", agency, "孙评查")
    with signed_in_client(inproc, person) as browser:
        shown = browser.get("/unlinked")
        assert shown.status_code == 200, shown.text[:300]
        html = shown.text
        warning = html[html.index('id="unlinked-warning"') :]
        assert "1 段未关联音像将在 30 天内到期" in warning and ends_on(uploaded[soon]) in warning[: warning.index("</p>")]
        assert "截至今日共 <b>2</b> 段音像未关联案件" in html
        table = html[html.index('id="unlinked-list"') :]
        assert table.index(soon) < table.index(fresh)  # oldest first
        assert "张三（3401001）、3409999（未登记）" in table and f'href="/footage/{soon}"' in table
        assert "170 天" in table and "即将到期" in table
        assert '<a href="/unlinked" aria-current="page">' in html or 'href="/unlinked"' in html  # in the menu

        only_warned = browser.get("/unlinked", params={"expiring": "true"}).text
        listed = only_warned[only_warned.index('id="unlinked-list"') :]
        assert soon in listed and fresh not in listed
        by_device = browser.get("/unlinked", params={"device_id": "CAM-1"}).text
        assert (
            fresh in by_device[by_device.index('id="unlinked-list"') :] and soon not in by_device[by_device.index('id="unlinked-list"') :]
        )
        assert browser.get(f"/footage/{soon}").status_code == 200
        refused = browser.get("/unlinked", params={"older": "7"})
        assert refused.status_code == 400 and "不认识的查询条件" in refused.text
        assert browser.get("/unlinked", params={"older_than_days": "8"}).status_code == 422


def test_a_document_attachment_is_kept_by_its_case(inproc):
    """The retention sweep counts a document's attachment as the case's evidence, kept while the case keeps it (it
    counted only bound footage: a scan attached to a document and bound to no stage would have been swept after the
    standard class)."""
    agency = f"UD{uuid.uuid4().hex[:6]}"
    with inproc.client(inproc.token("dock", agency)) as dock:
        scan = upload(dock, "scan")
    backdate(inproc, {scan: 400})
    with inproc.client(inproc.token("case_system", agency)) as http:
        case_id, stage_id = opened_stage(http)
        document = {
            "stage_id": stage_id,
            "doc_type": "onsite_penalty_decision",
            "title": "当场行政处罚决定书",
            "status": "signed",
            "doc_number": f"濉卫当罚〔2026〕{uuid.uuid4().int % 10000}号",
            "signed_at": "2026-11-03T10:20:00+08:00",
            "attachment_media_id": scan,
        }
        assert http.post(f"/api/v1/cases/{case_id}/documents", json=document).status_code == 201

    async def dry_run(sessionmaker, store):
        return await sweep(sessionmaker, store, inproc.app.state.catalog, inproc.settings, dry_run=True)

    assert scan not in {d["media_id"] for d in inproc.run(dry_run).deleted}
