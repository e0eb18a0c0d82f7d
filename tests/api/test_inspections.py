"""双随机、一公开 through the API of the app in this process: the 名录库 imported from GBK CSV and XLSX as versions (all rows
or none, errors per row in Chinese), plans for a matter of the 随机抽查事项清单, the draw recomputed from what it publishes
(commit–reveal, the same seed and pool giving the same tasks), tampering caught, only certified inspectors without a
declared conflict drawn, a clear refusal when fewer than two are eligible, redraws only with a reason, adjustments,
results, their publication and the public list. (The CLI, `draws verify`'s exit codes and the pages in Chromium on both
legs: tests/test_inspections.py.)"""

import hashlib
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from recording_service.core.messages import is_chinese
from recording_service.inspections.draw import draw as rs_draw
from recording_service.inspections.draw import lines_of
from recording_service.inspections.models import InspectionDraw, InspectionPlan, InspectionTask
from recording_service.inspections.service import verify_draw

from ..support.api import assert_problem
from ..support.cases import case_body
from ..support.clock import agency_today
from ..support.inspections import (
    csv_sheet,
    import_subjects,
    officer,
    plan_body,
    recompute,
    register,
    subject_rows,
    uscc,
    xlsx_sheet,
)
from ..support.publishing import decided, draft, with_profile


def agency_code(prefix: str = "SJ") -> str:
    return f"{prefix}{uuid.uuid4().hex[:6].upper()}"


def ready(inproc, subjects: int = 12, officers: int = 4, agency: str | None = None):
    """An agency with a 名录库 of `subjects` and `officers` certified for 医疗卫生."""
    agency = agency or agency_code()
    with inproc.client(inproc.token("admin", agency)) as admin:
        assert import_subjects(admin, csv_sheet(subject_rows(subjects))).status_code == 200
        register(admin, *(officer(f"35{n:05d}", f"检查员{n}") for n in range(1, officers + 1)))
    return agency, inproc.client(inproc.token("admin", agency))


def verify_in(inproc, draw_id: str):
    async def work(sessionmaker, store):
        async with sessionmaker() as session:
            return await verify_draw(session, draw_id)

    return inproc.run(work)


def execute(inproc, statement):
    async def work(sessionmaker, store):
        async with sessionmaker.begin() as session:
            await session.execute(statement)

    inproc.run(work)


def test_the_register_of_subjects_is_imported_from_gbk_csv_and_xlsx_as_versions_all_rows_or_none(inproc):
    agency = agency_code()
    with inproc.client(inproc.token("admin", agency)) as admin, inproc.client(inproc.token("auditor", agency)) as auditor:
        first = import_subjects(admin, csv_sheet(subject_rows(5), encoding="gbk"), "名录库.csv")
        assert first.status_code == 200, first.text
        v1 = first.json()
        assert (v1["version"], v1["rows"], v1["added"], v1["removed"], v1["changed"]) == (1, 5, 5, 0, 0)
        listed = auditor.get("/api/v1/subjects").json()["items"]
        assert [s["name"] for s in listed][:1] == ["濉溪县第1口腔诊所有限公司"]  # GBK read as GBK
        assert {s["risk_name"] for s in listed} == {"低风险", "中风险", "高风险"}

        # XLSX: rows 2–6 with row 3 renamed — one removed, one added, one changed.
        rows = subject_rows(5, start=2)
        rows[1][1] = "濉溪县第3口腔诊所（更名）有限公司"
        second = import_subjects(admin, xlsx_sheet(rows), "名录库.xlsx")
        assert second.status_code == 200, second.text
        v2 = second.json()
        assert (v2["version"], v2["rows"], v2["added"], v2["removed"], v2["changed"]) == (2, 5, 1, 1, 1)
        assert v2["sha256"] != v1["sha256"] and len(v2["sha256"]) == 64
        assert auditor.get("/api/v1/subjects", params={"q": uscc(1)}).json()["items"] == []
        assert len(auditor.get("/api/v1/subjects", params={"risk": "high"}).json()["items"]) == sum(1 for n in range(2, 7) if n % 3 == 2)
        page = auditor.get("/api/v1/subjects", params={"limit": 2}).json()
        assert len(page["items"]) == 2 and page["next_cursor"]
        assert len(auditor.get("/api/v1/subjects", params={"limit": 10, "cursor": page["next_cursor"]}).json()["items"]) == 3

        # A UTF-8 sheet with a BOM, bad in four rows: nothing imported, each row's problem said in Chinese.
        bad = subject_rows(4, start=20)
        bad[0][0] = bad[0][0][:-1] + ("0" if bad[0][0][-1] != "0" else "1")  # a wrong check character
        bad[1][1] = " "
        bad[2][6] = "极高"
        bad.append(list(bad[3]))
        refused = import_subjects(admin, csv_sheet(bad, bom=True))
        body = assert_problem(refused, 422, "import-refused")
        assert [e["row"] for e in body["errors"]] == [2, 3, 4, 6], body["errors"]
        assert all(is_chinese(e["error_zh"]) and e["error_zh"].startswith(f"第 {e['row']} 行") for e in body["errors"]), body["errors"]
        assert "统一社会信用代码" in body["errors"][0]["error_zh"] and "风险等级" in body["errors"][2]["error_zh"]
        assert [v["version"] for v in auditor.get("/api/v1/subjects/versions").json()] == [2, 1]
        assert_problem(import_subjects(admin, b"name,kind\n1,2\n"), 422, "import-refused")  # no uscc column

    with inproc.client(inproc.token("admin", agency_code())) as other:
        assert other.get("/api/v1/subjects").json()["items"] == []  # another agency's 名录库 is not theirs
    with inproc.client(inproc.token("auditor", agency)) as auditor:
        assert auditor.post("/api/v1/subjects/import", files={"file": ("a.csv", b"x", "text/csv")}).status_code == 403


def test_a_plan_names_a_listed_matter_a_ratio_or_a_count_and_commits_to_its_secret(inproc):
    agency, admin = ready(inproc)
    with admin, inproc.client(inproc.token("auditor", agency)) as auditor:
        assert_problem(admin.post("/api/v1/inspection-plans", json=plan_body(ratio=5)), 422)  # ratio and count
        assert_problem(admin.post("/api/v1/inspection-plans", json=plan_body(count=None)), 422)  # neither
        assert_problem(admin.post("/api/v1/inspection-plans", json=plan_body(inspectors_per_task=1)), 422)
        assert_problem(admin.post("/api/v1/inspection-plans", json=plan_body(matter_code="no-such-matter")), 422, "matter-not-found")
        assert_problem(admin.post("/api/v1/inspection-plans", json=plan_body(filters={"risk": ["extreme"]})), 422)
        assert_problem(admin.post("/api/v1/inspection-plans", json=plan_body(due_on=(agency_today() - timedelta(days=1)).isoformat())), 422)
        assert auditor.post("/api/v1/inspection-plans", json=plan_body()).status_code == 403
        created = admin.post("/api/v1/inspection-plans", json=plan_body(count=None, ratio=20, filters={"risk": "high"}))
        assert created.status_code == 201, created.text
        plan = created.json()
        assert plan["number"] == f"SJ{agency_today().year}-001" and plan["status"] == "planned" and plan["draws"] == []
        assert plan["enforcement_category"] == "医疗卫生" and plan["inspection_type"] == "directed"
        assert len(plan["commitment"]) == 64 and "secret" not in plan
        second = admin.post("/api/v1/inspection-plans", json=plan_body()).json()
        assert second["number"] == f"SJ{agency_today().year}-002" and second["inspection_type"] == "undirected"
        assert second["commitment"] != plan["commitment"]
        assert [p["number"] for p in auditor.get("/api/v1/inspection-plans").json()["items"]] == [second["number"], plan["number"]]
    with inproc.client(inproc.token("admin", agency_code())) as other:
        assert_problem(other.get(f"/api/v1/inspection-plans/{plan['id']}"), 404, "plan-not-found")


def test_a_draw_is_recomputed_from_what_it_publishes_and_the_same_seed_and_pool_give_the_same_tasks(inproc):
    agency, admin = ready(inproc, subjects=30, officers=5)
    with_profile(inproc, agency)
    with admin, inproc.client(inproc.token("auditor", agency)) as auditor, inproc.client() as anonymous:
        plan = admin.post("/api/v1/inspection-plans", json=plan_body(count=None, ratio=10)).json()
        made = admin.post(f"/api/v1/inspection-plans/{plan['id']}/draws", json={"seed": "双色球 2026140 期：03 08 11 19 24 31 + 09"})
        assert made.status_code == 201, made.text
        draw = made.json()
        assert draw["algorithm"] == "rs-draw-v1" and draw["commitment"] == plan["commitment"] and draw["pool_size"] == 30
        assert draw["wanted"] == 3 and len(draw["tasks"]) == 3 and all(len(t["inspectors"]) == 2 for t in draw["tasks"])
        assert [t["number"] for t in draw["tasks"]] == [f"{plan['number']}-00{k}" for k in (1, 2, 3)]
        pool = auditor.get(f"/api/v1/draws/{draw['id']}/pool")
        assert pool.status_code == 200 and pool.headers["content-type"].startswith("application/x-ndjson")
        # Anyone holding the published values and the snapshot gets the same tasks, by the algorithm as documented.
        assert recompute(draw, pool.text) == [(t["uscc"], t["inspectors"]) for t in draw["tasks"]]
        # The same seed and pool give the same tasks, however often they are drawn.
        again = rs_draw(draw["seed"], lines_of(pool.text), draw["pool_sha256"], 3, [e["officer_id"] for e in draw["eligible"]], [], 2)
        assert [(t.uscc, t.inspectors) for t in again.tasks] == [(t["uscc"], t["inspectors"]) for t in draw["tasks"]]
        assert verify_in(inproc, draw["id"]).ok
        assert auditor.get(f"/api/v1/draws/{draw['id']}/verification").json()["ok"] is True

        # The plan now commits to a fresh secret for a redraw; the public reads the draw without a token or personal data.
        assert admin.get(f"/api/v1/inspection-plans/{plan['id']}").json()["commitment"] != plan["commitment"]
        public = anonymous.get(f"/api/v1/public/draws/{draw['id']}")
        assert public.status_code == 200
        shown = public.json()
        assert shown["verified"] is True and shown["seed"] == draw["seed"] and shown["secret"] == draw["secret"]
        assert shown["agency_name"] == "濉溪县卫生健康委员会" and shown["eligible_count"] == 5
        assert [d["uscc"] for d in shown["drawn"]] == [t["uscc"] for t in draw["tasks"]]
        assert "eligible" not in shown and "pool_snapshot" not in shown and "address" not in str(shown)
        assert hashlib.sha256(bytes.fromhex(shown["secret"])).hexdigest() == shown["commitment"]

    with inproc.client(inproc.token("admin", agency_code())) as other:
        assert_problem(other.get(f"/api/v1/draws/{draw['id']}"), 404, "draw-not-found")
        assert_problem(other.get(f"/api/v1/inspection-tasks/{draw['tasks'][0]['id']}"), 404, "task-not-found")


def test_verification_fails_on_a_tampered_pool_snapshot_or_task(inproc):
    agency, admin = ready(inproc, subjects=10)
    with admin:
        plan = admin.post("/api/v1/inspection-plans", json=plan_body()).json()
        draw = admin.post(f"/api/v1/inspection-plans/{plan['id']}/draws").json()  # `seed` optional: no body at all
        assert draw["seed"] == draw["secret"] and draw["public_seed"] is None
    assert verify_in(inproc, draw["id"]).ok

    snapshot = draw_row(inproc, draw["id"]).pool_snapshot
    dropped = "".join(snapshot.splitlines(keepends=True)[1:])  # one subject quietly left out of the pool
    execute(inproc, update(InspectionDraw).where(InspectionDraw.id == draw["id"]).values(pool_snapshot=dropped))
    report = verify_in(inproc, draw["id"])
    assert not report.ok and report.checks["pool_sha256"] is False and report.checks["pool_size"] is False
    assert any("SHA-256" in d for d in report.differences), report.differences

    execute(inproc, update(InspectionDraw).where(InspectionDraw.id == draw["id"]).values(pool_snapshot=snapshot))
    first = draw["tasks"][0]
    eligible = [e["officer_id"] for e in draw["eligible"]]
    swapped = [o for o in eligible if o not in first["inspectors"]][:1] + first["inspectors"][1:]
    execute(inproc, update(InspectionTask).where(InspectionTask.id == first["id"]).values(drawn_inspectors=swapped))
    report = verify_in(inproc, draw["id"])
    assert not report.ok and report.checks == {**report.checks, "pool_sha256": True, "tasks": False}
    assert report.differences == [
        f"task 1: recomputed {first['uscc']} inspected by {', '.join(first['inspectors'])}, stored {first['uscc']} inspected by {', '.join(swapped)}"
    ]
    with inproc.client() as anonymous:
        assert anonymous.get(f"/api/v1/public/draws/{draw['id']}").json()["verified"] is False


def draw_row(inproc, draw_id):
    async def work(sessionmaker, store):
        async with sessionmaker() as session:
            return (await session.execute(select(InspectionDraw).where(InspectionDraw.id == draw_id))).scalar_one()

    return inproc.run(work)


def test_only_officers_certified_on_the_day_without_a_declared_conflict_are_drawn(inproc):
    agency = agency_code()
    with inproc.client(inproc.token("admin", agency)) as admin:
        assert import_subjects(admin, csv_sheet(subject_rows(8))).status_code == 200
        register(
            admin,
            officer("3600001", "甲"),
            officer("3600002", "乙"),
            officer("3600003", "丙"),
            officer("3600004", "过期", valid_to=agency_today() - timedelta(days=1)),
            officer("3600005", "暂扣"),
            officer("3600006", "别类", categories=("职业卫生",)),
            officer("3600007", "未到期", valid_from=(agency_today() + timedelta(days=3)).isoformat()),
        )
        suspended = admin.patch(
            "/api/v1/officers/3600005", json={"status": "suspended", "reason": "暂扣执法证", "effective_on": agency_today().isoformat()}
        )
        assert suspended.status_code == 200, suspended.text
        # 回避: 丙 declared a conflict with every subject but the first; 甲 the agency's list names for the first.
        for n in range(2, 9):
            assert (
                admin.post(
                    "/api/v1/inspection-conflicts",
                    json={"officer_id": "3600003", "uscc": uscc(n), "reason": "近亲属任职", "source": "officer"},
                ).status_code
                == 201
            )
        assert (
            admin.post(
                "/api/v1/inspection-conflicts", json={"officer_id": "3600001", "uscc": uscc(1), "reason": "曾在该单位任职"}
            ).status_code
            == 201
        )
        assert admin.post("/api/v1/inspection-conflicts", json={"officer_id": "3600001", "uscc": "123", "reason": "x"}).status_code == 422

        plan = admin.post("/api/v1/inspection-plans", json=plan_body(count=8)).json()
        draw = admin.post(f"/api/v1/inspection-plans/{plan['id']}/draws", json={}).json()
        assert [e["officer_id"] for e in draw["eligible"]] == ["3600001", "3600002", "3600003"]
        for task in draw["tasks"]:
            expected = {"3600002", "3600003"} if task["uscc"] == uscc(1) else {"3600001", "3600002"}
            assert set(task["inspectors"]) == expected, task
        assert sorted(map(tuple, draw["conflicts"])) == sorted([("3600003", uscc(n)) for n in range(2, 9)] + [("3600001", uscc(1))])
        assert verify_in(inproc, draw["id"]).ok

        # An adjustment keeps to the same rules, needs a reason and is audited.
        task = next(t for t in draw["tasks"] if t["uscc"] == uscc(2))
        assert admin.patch(f"/api/v1/inspection-tasks/{task['id']}", json={"inspectors": ["3600001", "3600002"]}).status_code == 422
        assert_problem(
            admin.patch(
                f"/api/v1/inspection-tasks/{task['id']}", json={"inspectors": ["3600001", "3600003"], "adjustment_reason": "甲出差"}
            ),
            422,
            "inspector-conflicted",
        )
        for ineligible in ("3600004", "3600005", "3600006", "3600007", "9999999"):
            refused = admin.patch(
                f"/api/v1/inspection-tasks/{task['id']}", json={"inspectors": ["3600001", ineligible], "adjustment_reason": "乙病假"}
            )
            assert_problem(refused, 422, "inspector-not-eligible")
        assert (
            admin.post("/api/v1/inspection-conflicts", json={"officer_id": "3600003", "uscc": uscc(1), "reason": "新申报"}).status_code
            == 201
        )
        first = next(t for t in draw["tasks"] if t["uscc"] == uscc(1))
        conflicts = admin.get("/api/v1/inspection-conflicts").json()
        withdrawn = next(c for c in conflicts if c["officer_id"] == "3600003" and c["uscc"] == uscc(2))
        assert admin.post(f"/api/v1/inspection-conflicts/{withdrawn['id']}/withdraw", json={"reason": "登记有误"}).status_code == 200
        adjusted = admin.patch(
            f"/api/v1/inspection-tasks/{task['id']}", json={"inspectors": ["3600003", "3600002"], "adjustment_reason": "甲出差，由丙替换"}
        )
        assert adjusted.status_code == 200, adjusted.text
        shown = adjusted.json()
        assert shown["inspectors"] == ["3600003", "3600002"] and shown["drawn_inspectors"] == task["inspectors"]
        assert shown["adjustments"][0]["reason"] == "甲出差，由丙替换" and shown["adjustments"][0]["before"] == task["inspectors"]
        assert first["id"]  # its draw stays as drawn: an adjustment never rewrites the drawn inspectors
        assert verify_in(inproc, draw["id"]).ok

    with inproc.client(inproc.token("auditor", agency)) as auditor:
        actions = [e["action"] for e in auditor.get("/api/v1/audit/events", params={"limit": 500}).json()["items"]]
    assert actions.count("inspection.conflict_declared") == 9 and actions.count("inspection.task_adjusted") == 1
    assert {"inspection.subjects_imported", "inspection.plan_created", "inspection.drawn", "inspection.conflict_withdrawn"} <= set(actions)


def test_fewer_eligible_inspectors_than_a_task_needs_is_refused_clearly(inproc):
    agency, admin = ready(inproc, subjects=4, officers=1)
    with admin:
        plan = admin.post("/api/v1/inspection-plans", json=plan_body()).json()
        body = assert_problem(admin.post(f"/api/v1/inspection-plans/{plan['id']}/draws", json={}), 409, "not-enough-inspectors")
        assert "2 inspectors" in body["detail"] and is_chinese(body["detail_zh"]) and "医疗卫生" in body["detail_zh"]
        assert (body["needed"], body["available"]) == (2, 1)
        register(admin, officer("3500099", "补充"))
        # Two certified, but one must avoid a subject: that task cannot be staffed, and nothing is drawn.
        assert (
            admin.post("/api/v1/inspection-conflicts", json={"officer_id": "3500099", "uscc": uscc(1), "reason": "亲属"}).status_code == 201
        )
        wide = admin.post("/api/v1/inspection-plans", json=plan_body(count=4)).json()
        body = assert_problem(admin.post(f"/api/v1/inspection-plans/{wide['id']}/draws", json={}), 409, "not-enough-inspectors")
        assert "濉溪县第1口腔诊所有限公司" in body["detail_zh"]
        assert admin.get(f"/api/v1/inspection-plans/{wide['id']}").json()["draws"] == []
        empty = admin.post("/api/v1/inspection-plans", json=plan_body(filters={"region": "不存在的镇"})).json()
        assert_problem(admin.post(f"/api/v1/inspection-plans/{empty['id']}/draws", json={}), 409, "empty-pool")


def test_a_redraw_needs_a_reason_and_both_draws_stay_on_record(inproc):
    agency, admin = ready(inproc, subjects=10)
    with admin, inproc.client(inproc.token("case_system", agency)) as system, inproc.client(inproc.token("auditor", agency)) as auditor:
        plan = admin.post("/api/v1/inspection-plans", json=plan_body()).json()
        assert_problem(
            admin.post(f"/api/v1/inspection-plans/{plan['id']}/draws", json={"reason": "未抽就重抽"}), 422, "reason-without-redraw"
        )
        first = admin.post(f"/api/v1/inspection-plans/{plan['id']}/draws", json={}).json()
        assert system.post(f"/api/v1/inspection-plans/{plan['id']}/draws", json={"reason": "x"}).status_code == 403
        body = assert_problem(admin.post(f"/api/v1/inspection-plans/{plan['id']}/draws", json={}), 409, "already-drawn")
        assert is_chinese(body["detail_zh"])
        second = admin.post(f"/api/v1/inspection-plans/{plan['id']}/draws", json={"reason": "名录库导入有误，已更正后重新抽取"})
        assert second.status_code == 201, second.text
        redraw = second.json()
        assert redraw["seq"] == 2 and redraw["reason"].startswith("名录库") and redraw["secret"] != first["secret"]
        assert redraw["tasks"][0]["number"] == f"{plan['number']}-2-001"
        shown = auditor.get(f"/api/v1/inspection-plans/{plan['id']}").json()
        assert [(d["seq"], d["status"]) for d in shown["draws"]] == [(1, "superseded"), (2, "current")]
        old = auditor.get(f"/api/v1/draws/{first['id']}").json()
        assert old["status"] == "superseded" and {t["status"] for t in old["tasks"]} == {"superseded"}
        assert_problem(
            system.post(
                f"/api/v1/inspection-tasks/{old['tasks'][0]['id']}/result",
                json={"checked_on": agency_today().isoformat(), "result": "no_problem"},
            ),
            409,
            "task-superseded",
        )
        done = system.post(
            f"/api/v1/inspection-tasks/{redraw['tasks'][0]['id']}/result",
            json={"checked_on": agency_today().isoformat(), "result": "no_problem"},
        )
        assert done.status_code == 200, done.text
        assert_problem(admin.post(f"/api/v1/inspection-plans/{plan['id']}/draws", json={"reason": "再抽一次"}), 409, "results-recorded")
        assert verify_in(inproc, first["id"]).ok and verify_in(inproc, redraw["id"]).ok
        events = auditor.get("/api/v1/audit/events", params={"limit": 500}).json()["items"]
    redrawn = [e for e in events if e["action"] == "inspection.redrawn"]
    assert (
        len(redrawn) == 1
        and redrawn[0]["payload"]["reason"].startswith("名录库")
        and redrawn[0]["payload"]["superseded_draw_id"] == first["id"]
    )
    assert [e["payload"]["draw_id"] for e in events if e["action"] == "inspection.drawn"] == [first["id"]]


def test_results_are_recorded_published_and_listed_publicly_with_their_fields(inproc):
    agency, admin = ready(inproc, subjects=6)
    with_profile(inproc, agency, name="濉溪县卫生健康委员会")
    with (
        admin,
        inproc.client(inproc.token("case_system", agency)) as system,
        inproc.client(inproc.token("auditor", agency)) as auditor,
        inproc.client() as anonymous,
    ):
        plan = admin.post("/api/v1/inspection-plans", json=plan_body(count=3)).json()
        other_plan = admin.post("/api/v1/inspection-plans", json=plan_body(count=1, matter_code="public-place-spot-check")).json()
        register(
            admin, officer("3700001", "公卫甲", categories=("公共场所卫生",)), officer("3700002", "公卫乙", categories=("公共场所卫生",))
        )
        tasks = admin.post(f"/api/v1/inspection-plans/{plan['id']}/draws", json={}).json()["tasks"]
        other = admin.post(f"/api/v1/inspection-plans/{other_plan['id']}/draws", json={}).json()["tasks"]
        assert set(other[0]["inspectors"]) == {"3700001", "3700002"}  # the matter's own 执法类别

        day = agency_today().isoformat()
        result = f"/api/v1/inspection-tasks/{tasks[0]['id']}/result"
        assert_problem(system.post(result, json={"checked_on": day, "result": "case_filed"}), 422)  # no case named
        assert_problem(
            system.post(result, json={"checked_on": (agency_today() + timedelta(days=1)).isoformat(), "result": "no_problem"}), 422
        )
        assert auditor.post(result, json={"checked_on": day, "result": "no_problem"}).status_code == 403
        penalty_case = system.post("/api/v1/cases", json=case_body(case_number=f"罚-{uuid.uuid4().hex[:6]}")).json()
        assert_problem(
            system.post(result, json={"checked_on": day, "result": "case_filed", "case_id": penalty_case["id"]}),
            422,
            "not-an-inspection-case",
        )
        inspection = system.post("/api/v1/cases", json=case_body(procedure="inspection-routine", case_number=f"检-{uuid.uuid4().hex[:6]}"))
        assert inspection.status_code == 201, inspection.text
        filed_case, document = decided(system)
        published = draft(system, filed_case, document).json()["id"]
        recorded = system.post(
            result,
            json={
                "checked_on": day,
                "result": "case_filed",
                "note": "未按规定开展医疗技术临床应用管理，已立案",
                "case_id": inspection.json()["id"],
                "penalty_case_id": filed_case.id,
            },
        )
        assert recorded.status_code == 200, recorded.text
        assert recorded.json()["result_name"] == "发现问题已立案查处" and recorded.json()["publish_due_on"] > day
        assert (
            system.post(f"/api/v1/inspection-tasks/{tasks[1]['id']}/result", json={"checked_on": day, "result": "no_problem"}).status_code
            == 200
        )
        assert (
            system.post(
                f"/api/v1/inspection-tasks/{other[0]['id']}/result", json={"checked_on": day, "result": "not_found", "note": "查无此店"}
            ).status_code
            == 200
        )
        assert system.post(f"/api/v1/inspection-tasks/{tasks[0]['id']}/publish").status_code == 403
        assert_problem(admin.post(f"/api/v1/inspection-tasks/{tasks[2]['id']}/publish"), 409, "no-result")
        for task in (tasks[0], tasks[1], other[0]):
            assert admin.post(f"/api/v1/inspection-tasks/{task['id']}/publish").status_code == 200
        assert_problem(system.post(result, json={"checked_on": day, "result": "no_problem"}), 409, "result-published")

        listed = anonymous.get("/api/v1/public/inspection-results", params={"agency": agency})
        assert listed.status_code == 200 and listed.headers["cache-control"].startswith("public")
        items = listed.json()["items"]
        assert len(items) == 3
        filed = next(i for i in items if i["task_number"] == tasks[0]["number"])
        assert {
            k: filed[k]
            for k in ("plan_number", "plan_name", "inspection_type_name", "agency_name", "uscc", "checked_on", "result_name", "note")
        } == {
            "plan_number": plan["number"],
            "plan_name": plan["name"],
            "inspection_type_name": "不定向抽查",
            "agency_name": "濉溪县卫生健康委员会",
            "uscc": tasks[0]["uscc"],
            "checked_on": day,
            "result_name": "发现问题已立案查处",
            "note": "未按规定开展医疗技术临床应用管理，已立案",
        }
        assert filed["subject_name"] == tasks[0]["subject_name"] and filed["publication_url"] is None  # its decision is not public yet
        assert "inspectors" not in filed and "address" not in filed

        approver = inproc.client(inproc.token("auditor", agency))
        assert (
            system.post(
                f"/api/v1/publications/{published}/notice", json={"method": "in_decision", "notified_at": "2026-09-24T10:00:00+08:00"}
            ).status_code
            == 200
        )
        assert approver.post(f"/api/v1/publications/{published}/approve").status_code == 200
        assert system.post(f"/api/v1/publications/{published}/publish").status_code == 200
        refreshed = anonymous.get("/api/v1/public/inspection-results", params={"agency": agency}).json()["items"]
        assert (
            next(i for i in refreshed if i["task_number"] == tasks[0]["number"])["publication_url"] == f"/public/publications/{published}"
        )

        by_matter = anonymous.get(
            "/api/v1/public/inspection-results", params={"agency": agency, "matter": "public-place-spot-check"}
        ).json()["items"]
        assert [i["task_number"] for i in by_matter] == [other[0]["number"]] and by_matter[0]["result_name"].startswith("通过登记的住所")
        assert (
            anonymous.get("/api/v1/public/inspection-results", params={"agency": agency, "year": agency_today().year - 1}).json()["items"]
            == []
        )
        first_page = anonymous.get("/api/v1/public/inspection-results", params={"agency": agency, "limit": 2}).json()
        rest = anonymous.get(
            "/api/v1/public/inspection-results", params={"agency": agency, "limit": 2, "cursor": first_page["next_cursor"]}
        ).json()
        assert len(first_page["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
        assert {i["task_number"] for i in first_page["items"] + rest["items"]} == {i["task_number"] for i in items}
        assert_problem(anonymous.get("/api/v1/public/inspection-results", params={"yaer": agency_today().year}), 400, "unknown-parameter")
        assert_problem(anonymous.get("/api/v1/public/inspection-results", params={"cursor": "forged"}), 400, "invalid-cursor")

        exported = auditor.get("/api/v1/inspection-results/export", params={"format": "csv"})
        assert exported.status_code == 200 and exported.headers["x-records"] == "3"
        assert exported.content.decode("utf-8-sig").splitlines()[0].startswith("计划编号,计划名称,任务编号,抽查类型,检查机关")
        assert auditor.get("/api/v1/inspection-results/export", params={"format": "xlsx"}).content[:2] == b"PK"

        figures = auditor.get("/api/v1/inspection-statistics", params={"year": agency_today().year}).json()
        assert (figures["plans"], figures["drawn_plans"], figures["pool_size"], figures["drawn"], figures["published"]) == (2, 2, 12, 4, 3)
        assert figures["results"]["case_filed"] == 1 and figures["results"]["not_found"] == 1 and figures["coverage"] == round(4 / 12, 4)
        # The same figures in the 年报: a line per plan with its total, and the results.
        report = {t["kind"]: t for t in auditor.get("/api/v1/stats/annual-report", params={"year": agency_today().year}).json()["tables"]}
        plan_lines = report["random-inspection"]["rows"]
        assert len(plan_lines) == 3 and plan_lines[-1]["procedure_zh"] == "合计"
        assert (plan_lines[-1]["pool_size"], plan_lines[-1]["drawn"], plan_lines[-1]["published"]) == (12, 4, 3)
        assert plan_lines[-1]["share"] == round(4 / 12, 4)
        results = {r["procedure_zh"]: r["tasks"] for r in report["random-inspection-results"]["rows"]}
        assert results["合计"] == sum(figures["results"].values()) and results["发现问题已立案查处"] == 1

        # Overdue: a task not inspected by the plan's due date, for the staff's list.
        execute(inproc, update(InspectionPlan).where(InspectionPlan.id == plan["id"]).values(due_on=agency_today() - timedelta(days=1)))
        overdue = auditor.get("/api/v1/inspection-tasks", params={"overdue": "true"}).json()["items"]
        assert [t["id"] for t in overdue] == [tasks[2]["id"]] and overdue[0]["overdue"] is True
        approver.close()
