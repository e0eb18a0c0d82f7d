"""Complaints from the public through the API of the app in this process: filed without a token, answered with a
reference number; the agency's queue with a due date in working days, assignment and the reply, each audited; the
reply read back by the reference; the complainant's contact never in a public answer and only for those who handle
complaints; the counts in the statistics."""

import re
import uuid
from datetime import date, timedelta

from recording_service.complaints.reference import new_reference, shown

from ..support.api import assert_problem
from ..support.clock import agency_today
from ..support.inprocess import create_person, signed_in_client
from ..support.publishing import published, with_profile

CONTACT = "13912345678 张先生"


def _agency(inproc, prefix: str = "TS") -> str:
    return with_profile(inproc, f"{prefix}{uuid.uuid4().hex[:6].upper()}")


def _complaint(agency: str | None, **overrides) -> dict:
    body = {"about": "officer", "target": "张三（皖卫执3401001）", "text": "检查时未出示执法证。", "contact": CONTACT}
    if agency:
        body["agency"] = agency
    return {**body, **overrides}


def test_a_complaint_filed_queued_assigned_answered_and_looked_up(inproc):
    agency = _agency(inproc)
    with (
        inproc.client() as anyone,
        inproc.client(inproc.token("admin", agency)) as admin,
        inproc.client(inproc.token("auditor", agency)) as auditor,
        inproc.client(inproc.token("reviewer", agency)) as reviewer,
        inproc.client(inproc.token("admin", "OTHER9")) as other,
    ):
        filed = anyone.post("/api/v1/public/complaints", json=_complaint(agency))
        assert filed.status_code == 201, filed.text
        answer = filed.json()
        assert set(answer) == {"reference", "status", "filed_on", "due_on", "agency"} and answer["status"] == "received"
        reference = answer["reference"]
        assert reference.startswith("TS-") and filed.headers["location"] == f"/api/v1/public/complaints/{reference}"
        assert CONTACT not in filed.text

        # Looked up by the reference as printed, or typed loosely; never the contact nor who handles it.
        public = anyone.get(f"/api/v1/public/complaints/{reference}")
        assert public.status_code == 200 and public.headers["cache-control"] == "no-store"
        assert public.json()["status"] == "received" and public.json()["reply"] is None
        assert CONTACT not in public.text and "contact" not in public.json()
        loose = reference.lower().replace("-", " ").removeprefix("ts ")
        assert anyone.get(f"/api/v1/public/complaints/{loose}").json()["reference"] == reference

        # The queue: admins read the contact, auditors read the complaint without it; others may not read it.
        queued = admin.get("/api/v1/complaints").json()["items"]
        assert len(queued) == 1 and queued[0]["contact"] == CONTACT and queued[0]["overdue"] is False
        complaint_id = queued[0]["id"]
        seen = auditor.get("/api/v1/complaints").json()["items"][0]
        assert seen["contact"] is None and seen["contact_withheld"] is True and seen["text"] == "检查时未出示执法证。"
        assert CONTACT not in auditor.get(f"/api/v1/complaints/{complaint_id}").text
        assert reviewer.get("/api/v1/complaints").status_code == 403
        assert_problem(other.get(f"/api/v1/complaints/{complaint_id}"), 404, "complaint-not-found")  # another agency's
        assert other.get("/api/v1/complaints").json()["items"] == []
        assert_problem(other.post(f"/api/v1/complaints/{complaint_id}/reply", json={"text": "答复"}), 404, "complaint-not-found")
        assert admin.get("/api/v1/complaints", params={"reference": loose}).json()["items"][0]["id"] == complaint_id
        assert admin.get("/api/v1/complaints", params={"reference": "TS-0000-0000-00000"}).json()["items"] == []

        # Assigned, then answered once; only admins do either.
        assert auditor.post(f"/api/v1/complaints/{complaint_id}/assign", json={"assignee": "李科长"}).status_code == 403
        assigned = admin.post(f"/api/v1/complaints/{complaint_id}/assign", json={"assignee": "李科长（法规科）"})
        assert assigned.status_code == 200 and assigned.json()["status"] == "assigned"
        assert anyone.get(f"/api/v1/public/complaints/{reference}").json()["status_name"] == "办理中"
        assert "李科长" not in anyone.get(f"/api/v1/public/complaints/{reference}").text
        assert_problem(admin.post(f"/api/v1/complaints/{complaint_id}/reply", json={"text": "   "}), 422)
        replied = admin.post(f"/api/v1/complaints/{complaint_id}/reply", json={"text": "经核查，已对该执法人员进行批评教育。"})
        assert replied.status_code == 200 and replied.json()["status"] == "replied" and replied.json()["replied_late"] is False
        assert_problem(admin.post(f"/api/v1/complaints/{complaint_id}/reply", json={"text": "再次答复"}), 409, "complaint-replied")
        assert_problem(admin.post(f"/api/v1/complaints/{complaint_id}/assign", json={"assignee": "王五"}), 409, "complaint-replied")

        looked_up = anyone.get(f"/api/v1/public/complaints/{reference}").json()
        assert looked_up["status"] == "replied" and looked_up["reply"] == "经核查，已对该执法人员进行批评教育。"
        assert looked_up["replied_on"] == agency_today().isoformat()

        events = auditor.get("/api/v1/audit/events", params={"limit": 500}).json()["items"]
        mine = [e for e in events if e["action"].startswith("complaint.")]
        assert [e["action"] for e in mine] == ["complaint.filed", "complaint.assigned", "complaint.replied"]
        assert mine[0]["actor"]["role"] == "anonymous" and mine[0]["payload"]["has_contact"] is True
        assert all(CONTACT not in str(e) and "未出示执法证" not in str(e) for e in mine)  # the trail keeps neither

        stats = auditor.get("/api/v1/stats/complaints").json()
        officer_row = next(r for r in stats["rows"] if r["about"] == "officer")
        assert officer_row["filed"] == 1 and officer_row["replied_on_time"] == 1 and officer_row["open"] == 0
        assert stats["totals"]["filed"] == 1


def test_the_reply_is_due_in_working_days_the_agency_counts(inproc):
    agency = _agency(inproc, "WD")
    with inproc.client() as anyone, inproc.client(inproc.token("admin", agency)) as admin:
        first = anyone.post("/api/v1/public/complaints", json=_complaint(agency)).json()
        filed_on, due_on = date.fromisoformat(first["filed_on"]), date.fromisoformat(first["due_on"])
        expected = admin.get("/api/v1/calendar/deadline", params={"start": filed_on.isoformat(), "days": 15}).json()["due_on"]
        assert due_on.isoformat() == expected  # the catalog's 15 working days, the start day not counted
        weekdays = sum((filed_on + timedelta(days=n)).weekday() < 5 for n in range(1, (due_on - filed_on).days + 1))
        assert weekdays >= 15 and (due_on - filed_on).days >= 19  # weekends (and holidays) are not counted

        # A local day off within the period (the agency's own) moves the next complaint's due date a working day on.
        day_off = next(
            filed_on + timedelta(days=n)
            for n in range(1, 10)
            if admin.get("/api/v1/calendar/deadline", params={"start": (filed_on + timedelta(days=n - 1)).isoformat(), "days": 1}).json()[
                "due_on"
            ]
            == (filed_on + timedelta(days=n)).isoformat()
        )
        added = admin.post(
            "/api/v1/calendar/local-days", json={"day": day_off.isoformat(), "kind": "off", "name_zh": "地方假日", "basis": "测试"}
        )
        assert added.status_code == 201, added.text
        second = anyone.post("/api/v1/public/complaints", json=_complaint(agency)).json()
        moved = admin.get("/api/v1/calendar/deadline", params={"start": due_on.isoformat(), "days": 1}).json()["due_on"]
        assert second["due_on"] == moved != first["due_on"]
        queue = admin.get("/api/v1/complaints").json()["items"]
        assert [c["due_on"] for c in queue] == sorted(c["due_on"] for c in queue)  # oldest due first


def test_overdue_complaints_are_marked_and_counted(inproc):
    agency = _agency(inproc, "OD")
    with inproc.client() as anyone, inproc.client(inproc.token("admin", agency)) as admin:
        on_time = anyone.post("/api/v1/public/complaints", json=_complaint(agency, about="other", target="", contact=None)).json()
        late = anyone.post("/api/v1/public/complaints", json=_complaint(agency)).json()

        async def past_due(sessionmaker, store):  # as if filed a month ago: its 15 working days are over
            from sqlalchemy import update

            from recording_service.complaints.models import Complaint
            from recording_service.core.db import commit

            async with sessionmaker() as session:
                await session.execute(
                    update(Complaint)
                    .where(Complaint.agency == agency, Complaint.about == "officer")
                    .values(filed_on=agency_today() - timedelta(days=40), due_on=agency_today() - timedelta(days=15))
                )
                await commit(session)

        inproc.run(past_due)
        overdue = admin.get("/api/v1/complaints", params={"overdue": "true"}).json()["items"]
        assert len(overdue) == 1 and overdue[0]["overdue"] is True and overdue[0]["about"] == "officer"
        assert [c["overdue"] for c in admin.get("/api/v1/complaints", params={"overdue": "false"}).json()["items"]] == [False]
        assert on_time["reference"] != late["reference"]
        stats = admin.get("/api/v1/stats/complaints", params={"from": (agency_today() - timedelta(days=60)).isoformat()}).json()
        rows = {r["about"]: r for r in stats["rows"]}
        assert rows["officer"]["open"] == 1 and rows["officer"]["open_overdue"] == 1 and rows["other"]["open_overdue"] == 0
        assert rows["publication"]["filed"] == 0  # every kind has its row

        answered = admin.post(f"/api/v1/complaints/{overdue[0]['id']}/reply", json={"text": "迟复。"}).json()
        assert answered["replied_late"] is True and answered["overdue"] is False


def test_what_a_complaint_may_hold(inproc):
    agency = _agency(inproc, "BD")
    with inproc.client() as anyone:
        for body in (
            _complaint(agency, about="weather"),  # not a kind
            _complaint(agency, text="长" * 5001),  # too long
            _complaint(agency, text="  "),  # nothing said
            _complaint(agency, contact="1" * 201),
            _complaint(agency, target=""),  # an officer not named
            {**_complaint(agency), "email": "x@example.com"},  # an unknown field
            _complaint(agency, text="含\x00字符"),
        ):
            assert_problem(anyone.post("/api/v1/public/complaints", json=body), 422)
        assert_problem(anyone.post("/api/v1/public/complaints", json=_complaint("NOSUCH1")), 422, "complaint-agency-unknown")
        assert_problem(anyone.post("/api/v1/public/complaints", content=b"x" * (2 * 1024 * 1024)), 413)
        # No agency named and more than one keeps a profile: it must be named.
        _agency(inproc, "BE")
        assert_problem(anyone.post("/api/v1/public/complaints", json=_complaint(None)), 422, "complaint-agency-required")
        for typed in ("TS-0000-0000-00000", "nonsense", "x" * 300, shown(new_reference())):
            assert_problem(anyone.get(f"/api/v1/public/complaints/{typed}"), 404, "complaint-reference-unknown")


def test_the_public_budget_limits_complaints(_scratch, _template):
    from ..support.inprocess import in_process

    workdir = _scratch / f"complaint-budget-{uuid.uuid4().hex[:6]}"
    with in_process(workdir, _template, _scratch / "signing-key.pem", public_requests_per_minute=12) as service, service.client() as anyone:
        agency = _agency(service, "RL")
        answers = [anyone.post("/api/v1/public/complaints", json=_complaint(agency)).status_code for _ in range(3)]
    assert answers == [201, 201, 429]


def _form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_complaint_pages(inproc):
    """The public form (one post per form, its token from this browser), the status page by reference, and the
    staff's queue where an admin assigns and answers — the contact on the admin's page only."""
    agency = _agency(inproc, "PG")
    admin_name, auditor_name = f"admin{uuid.uuid4().hex[:6]}", f"auditor{uuid.uuid4().hex[:6]}"
    create_person(inproc, admin_name, "admin", agency, "孙管理")
    create_person(inproc, auditor_name, "auditor", agency, "赵监督")
    with inproc.client() as browser:
        form = browser.get("/public/complaints", params={"about": "officer", "target": "张三"})
        assert form.status_code == 200 and 'value="张三"' in form.text
        fields = {"agency": agency, "about": "officer", "target": "张三", "text": "态度恶劣。", "contact": CONTACT}
        refused = browser.post("/public/complaints", data={**fields, "text": " ", "csrf_token": _form_token(form.text)})
        assert refused.status_code == 422 and "投诉内容：" in refused.text and 'value="张三"' in refused.text
        token = _form_token(refused.text)
        filed = browser.post("/public/complaints", data={**fields, "csrf_token": token})
        assert filed.status_code == 201, filed.text
        reference = re.search(r'id="complaint-reference">([^<]+)<', filed.text).group(1)
        browser.cookies.set("rs_public_form", token)  # the form's cookie kept (a browser's back button): the token itself
        again = browser.post("/public/complaints", data={**fields, "csrf_token": token})  # the same post sent twice
        assert again.status_code == 403 and "表单已失效" in again.text
        with inproc.client() as elsewhere:  # a post without the form's cookie (another site's page) files nothing
            assert elsewhere.post("/public/complaints", data={**fields, "csrf_token": _form_token(form.text)}).status_code == 403

        status = browser.get("/public/complaints/lookup", params={"reference": reference.lower()})
        assert status.status_code == 200 and 'data-status="received"' in status.text and CONTACT not in status.text
        unknown = browser.get("/public/complaints/lookup", params={"reference": "TS-0000-0000-00000"})
        assert unknown.status_code == 404 and 'id="reference-unknown"' in unknown.text

    with signed_in_client(inproc, auditor_name) as auditor:
        queue = auditor.get("/complaints")
        assert queue.status_code == 200 and "态度恶劣。" in queue.text
        complaint_id = re.search(r'href="/complaints/([0-9a-f]{32})"', queue.text).group(1)
        page = auditor.get(f"/complaints/{complaint_id}")
        assert CONTACT not in page.text and "仅办理投诉的管理员可见" in page.text and 'id="reply-form"' not in page.text
        assert (
            auditor.post(f"/complaints/{complaint_id}/reply", data={"text": "x", "csrf_token": _form_token(page.text)}).status_code == 403
        )

    with signed_in_client(inproc, admin_name) as admin:
        page = admin.get(f"/complaints/{complaint_id}")
        assert CONTACT in page.text
        token = _form_token(page.text)
        assert admin.post(f"/complaints/{complaint_id}/assign", data={"assignee": "李科长", "csrf_token": token}).status_code == 303
        empty = admin.post(f"/complaints/{complaint_id}/reply", data={"text": "", "csrf_token": token})
        assert empty.status_code == 422 and "答复：" in empty.text
        answered = admin.post(f"/complaints/{complaint_id}/reply", data={"text": "已核实并批评教育。", "csrf_token": token})
        assert answered.status_code == 303
        assert "已答复" in admin.get(f"/complaints/{complaint_id}").text
    with inproc.client() as browser:
        replied = browser.get(f"/public/complaints/{reference}")
        assert 'data-status="replied"' in replied.text and "已核实并批评教育。" in replied.text and "李科长" not in replied.text


def test_a_published_decision_links_to_a_complaint_about_it(inproc):
    agency = _agency(inproc, "TP")
    with inproc.client(inproc.token("admin", agency)) as http, inproc.client(inproc.token("auditor", agency)) as auditor:
        pid = published(http, auditor)
    with inproc.client() as public:
        page = public.get(f"/public/publications/{pid}")
        assert page.status_code == 200
        link = re.search(r'href="(/public/complaints\?about=publication&amp;target=[^"]+)"', page.text)
        assert link, page.text[-800:]
        form = public.get(link.group(1).replace("&amp;", "&"))
        assert form.status_code == 200 and f'value="{pid}"' in form.text
