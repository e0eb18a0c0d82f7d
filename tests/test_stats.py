"""Statistics and the annual report on both legs, against a seeded data set whose figures are worked out by
hand below; the stored figures also agree with the timelines assembled live, and follow a case when it changes."""

import io
import json
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from .support.api import assert_problem
from .support.cases import Case, at, decided_case
from .support.media import upload_bytes
from .support.publishing import decided, draft, with_profile

YEAR = {"from": "2025-01-01", "to": "2025-12-31"}


def seed(http) -> dict:
    """Eleven cases of 2025 (one decided in 2026), by hand:
    penalty-general  A 立案 03-03 决定 06-10 罚款+没收违法所得 (→ 没收违法所得) 5,000 + 15,000 元
                     B 立案 09-01 决定 12-30 警告, revoked 2026-02-01 (still counts in 2025)
                     C 立案 11-03 决定 2026-01-05 (counts in 2026)
                     E 立案 02-03 决定 05-05, no penalty kinds recorded (未登记种类)
    penalty-simple   D 当场 07-01 罚款 200 元, closed
    license          F 受理 04-01 准予 04-20 (延续); G 受理 12-20 不予 2026-01-10; H 受理 08-01 不予 08-15 (变更)
    coercion         I 实施 10-10 查封+扣押
    inspection       J 03-15 发现问题; K 03-20 未发现问题"""
    cases = {}
    cases["A"] = decided_case(http, filed="2025-03-03", decided="2025-06-10")
    cases["A"].facts(penalties=["fine", "confiscation_gains"], fine_yuan="5000", confiscated_yuan="15000")
    cases["B"] = decided_case(http, filed="2025-09-01", decided="2025-12-30")
    cases["B"].facts(penalties=["warning"], decision_revoked_on="2026-02-01")
    cases["C"] = decided_case(http, filed="2025-11-03", decided="2026-01-05")
    cases["C"].facts(penalties=["fine"], fine_yuan="1000")
    cases["E"] = decided_case(http, filed="2025-02-03", decided="2025-05-05")
    onsite = Case(http, procedure="penalty-simple", filed="2025-07-01")
    onsite.stage("onsite", "2025-07-01", docs=[("onsite_penalty_decision", {"issued_at": at("2025-07-01")})])
    onsite.facts(penalties=["fine"], fine_yuan="200")
    onsite.stage("closing", "2025-07-02")
    cases["D"] = onsite
    for name, accepted, decided_on, outcome, action in (
        ("F", "2025-04-01", "2025-04-20", "granted", "renewal"),
        ("G", "2025-12-20", "2026-01-10", "refused", "new"),
        ("H", "2025-08-01", "2025-08-15", "refused", "change"),
    ):
        licence = Case(http, procedure="license", filed=accepted)
        licence.stage("acceptance", accepted, docs=[("application_acceptance", {"issued_at": at(accepted)})])
        licence.skip("verification", "无需现场审核")
        licence.stage("decision", decided_on, docs=[("license_decision", {"issued_at": at(decided_on)})])
        licence.facts(license_outcome=outcome, license_action=action)
        cases[name] = licence
    seizure = Case(http, procedure="coercion-seizure", filed="2025-10-10")
    seizure.stage("approval", "2025-10-10", docs=[("coercion_approval", {"issued_at": at("2025-10-10")})])
    seizure.stage(
        "implementation",
        "2025-10-10",
        docs=[("seizure_decision", {"issued_at": at("2025-10-10")}), ("item_list", {"issued_at": at("2025-10-10")})],
    )
    seizure.facts(coercion_measures=["sealing", "seizure"])
    cases["I"] = seizure
    for name, day, problems in (("J", "2025-03-15", True), ("K", "2025-03-20", False)):
        inspection = Case(http, procedure="inspection-routine", filed=day)
        inspection.stage("inspection", day, docs=[("onsite_record", {"issued_at": at(day)})], attributes={"problems_found": problems})
        cases[name] = inspection
    return cases


def stat(http, name, **params):
    """A statistic once the figures have followed every change so far (a request catches up for up to 2 s and
    the worker every 10 s; while other tests write to the same database that can take a few rounds)."""
    deadline = time.monotonic() + 60
    while True:
        response = http.get(f"/api/v1/stats/{name}", params={**YEAR, **params})
        assert response.status_code == 200, response.text
        body = response.json()
        if body["pending_events"] == 0:
            return body
        assert time.monotonic() < deadline, f"the figures still trail the audit log by {body['pending_events']} events"


def annual(http, year):
    stat(http, "cases")
    response = http.get("/api/v1/stats/annual-report", params={"year": year})
    assert response.status_code == 200, response.text
    return response.json()


def test_statistics_and_the_annual_report_from_a_seeded_data_set(leg):
    agency = f"ST{uuid.uuid4().hex[:6].upper()}"
    with leg.client(leg.token("case_system", agency)) as http:
        cases = seed(http)
        timelines = {name: case.timeline() for name, case in cases.items()}

    with leg.client(leg.token("auditor", agency)) as http:
        counted = stat(http, "cases")
        assert counted["agency"] == agency and counted["from"] == "2025-01-01"
        assert counted["totals"]["cases"] == 11
        assert counted["totals"]["by_procedure"] == {
            "行政处罚一般程序": 4,
            "行政处罚简易程序(当场处罚)": 1,
            "行政许可": 3,
            "行政强制(查封、扣押)": 1,
            "日常监督检查(行政检查)": 2,
        }
        kinds = {r["kind"]: (r["cases"], r["closed"]) for r in stat(http, "kinds")["rows"]}
        assert kinds == {  # a row per kind the catalog has: those this agency never handled at zero
            "license": (3, 0),
            "penalty": (5, 1),
            "coercion": (1, 0),
            "inspection": (2, 0),
            "levy": (0, 0),
            "confirmation": (0, 0),
        }
        by_month = Counter()
        for row in counted["rows"]:
            by_month[row["month"]] += row["cases"]
        assert by_month == {
            "2025-02": 1,
            "2025-03": 3,
            "2025-04": 1,
            "2025-07": 1,
            "2025-08": 1,
            "2025-09": 1,
            "2025-10": 1,
            "2025-11": 1,
            "2025-12": 1,
        }
        assert [(r["procedure"], r["status"]) for r in counted["rows"] if r["month"] == "2025-07"] == [("penalty-simple", "closed")]

        # Completeness and findings agree with the timelines assembled live.
        complete = stat(http, "completeness")
        assert (complete["totals"]["cases"], complete["totals"]["closed"]) == (11, 1)
        live_complete = sum(t["completeness"]["complete"] for t in timelines.values())
        assert complete["totals"]["complete"] == live_complete
        expected = Counter(f["kind"] for t in timelines.values() for f in t["completeness"]["findings"])
        findings = stat(http, "findings")
        assert {r["kind"]: r["findings"] for r in findings["rows"]} == dict(expected)
        assert findings["totals"]["findings"] == sum(expected.values())
        missed = Counter(
            f.get("rule") or f.get("check") for t in timelines.values() for f in t["completeness"]["findings"] if f["kind"] == "time_limit"
        )
        limits = {r["rule"]: r for r in stat(http, "time-limits")["rows"]}
        assert {rule: r["missed"] for rule, r in limits.items() if r["missed"]} == dict(missed)
        assert limits["decision_within_90_days"]["cases"] == 4  # the general-procedure cases it applies to
        # A took 99 days and B 120; C 63; E 91, but its 90th day (2025-05-04) fell in the 劳动节 holiday: due 05-06, kept.
        assert limits["decision_within_90_days"]["missed"] == 2
        scores = {r["procedure"]: r for r in stat(http, "review-scores")["rows"]}
        live = []
        for name in ("A", "B", "C", "E"):
            review = http.get(f"/api/v1/cases/{cases[name].id}/review").json()
            live.append(review["score"] * 100 / review["max_score"])
        assert scores["penalty-general"]["cases"] == 4
        assert abs(scores["penalty-general"]["mean"] - round(sum(live) / 4, 1)) < 0.051
        assert abs(scores["penalty-general"]["lowest"] - round(min(live), 1)) < 0.051

        body = annual(http, 2025)
        assert body["due_on"] == "2026-01-31"
        tables = {t["kind"]: {r["procedure_zh"]: r for r in t["rows"]} for t in body["tables"]}
        assert list(tables) == [
            *("license", "penalty", "coercion", "inspection", "levy", "confirmation"),  # every kind the catalog has
            *("random-inspection", "random-inspection-results"),  # then 双随机: none planned here, so only the totals
        ]
        assert tables["random-inspection"]["合计"]["drawn"] == 0 and tables["random-inspection-results"]["合计"]["tasks"] == 0
        assert tables["levy"]["合计"]["decisions"] == tables["confirmation"]["合计"]["decisions"] == 0  # none seeded: zeros
        general = tables["penalty"]["行政处罚一般程序"]
        # A counts once, under 没收违法所得 (its most severe); B counts although revoked; C is 2026's; E has no kinds.
        assert (
            general["decisions"],
            general["p_confiscation_gains"],
            general["p_fine"],
            general["p_warning"],
            general["unrecorded"],
            general["revoked"],
        ) == (3, 1, 0, 1, 1, 1)
        assert general["amount_wan"] == 2.0
        simple = tables["penalty"]["行政处罚简易程序(当场处罚)"]
        assert (simple["decisions"], simple["p_fine"], simple["amount_wan"]) == (1, 1, 0.02)
        total = tables["penalty"]["合计"]
        assert (total["decisions"], total["p_fine"], total["amount_wan"]) == (4, 1, 2.02)
        licence = tables["license"]["行政许可"]
        assert (
            licence["accepted"],
            licence["decisions"],
            licence["granted"],
            licence["refused"],
            licence["renewals"],
            licence["changes"],
        ) == (3, 2, 1, 1, 1, 1)
        assert (tables["coercion"]["合计"]["decisions"], tables["coercion"]["合计"]["sealing"], tables["coercion"]["合计"]["seizure"]) == (
            1,
            1,
            1,
        )
        inspection = tables["inspection"]["合计"]
        assert (inspection["decisions"], inspection["problems"], inspection["no_problems"]) == (2, 1, 1)
        later = annual(http, 2026)
        later_tables = {t["kind"]: t["rows"][-1] for t in later["tables"]}
        assert (later_tables["penalty"]["decisions"], later_tables["license"]["refused"]) == (1, 1)  # C and G

        book = load_workbook(io.BytesIO(http.get("/api/v1/stats/annual-report", params={"year": 2025, "format": "xlsx"}).content))
        assert book.sheetnames == [
            *("行政许可", "行政处罚", "行政强制", "行政检查", "行政征收", "行政确认"),
            *("双随机抽查", "双随机抽查结果", "统计说明"),
        ]
        sheet = book["行政处罚"]
        assert "2025年度行政执法统计年报" in sheet["A1"].value and sheet["A2"].value == "程序"
        assert [c.value for c in sheet[5]][:2] == ["合计", 4]

    # A change to a case reaches the figures on the next read.
    with leg.client(leg.token("case_system", agency)) as http:
        cases["E"].http = http
        cases["E"].facts(penalties=["fine", "license_revocation"])
    with leg.client(leg.token("auditor", agency)) as http:
        general = next(
            r for t in annual(http, 2025)["tables"] if t["kind"] == "penalty" for r in t["rows"] if r["procedure"] == "penalty-general"
        )
        assert (general["unrecorded"], general["p_license_revocation"]) == (0, 1)

        csv = http.get("/api/v1/stats/cases", params={**YEAR, "format": "csv"})
        assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
        assert csv.content.decode("utf-8-sig").splitlines()[0] == "月份,程序代码,程序,状态代码,状态,案件数"
        sheet = load_workbook(io.BytesIO(http.get("/api/v1/stats/completeness", params={**YEAR, "format": "xlsx"}).content)).active
        assert sheet["A1"].value.startswith("记录完整率") and sheet["A2"].value == "程序代码"

        # Bad input: a clear problem, never a 500.
        assert_problem(http.get("/api/v1/stats/caseload"), 404, "statistic-not-found")
        assert_problem(http.get("/api/v1/stats/cases", params={"from": "2025-12-31", "to": "2025-01-01"}), 400, "invalid-query")
        assert_problem(http.get("/api/v1/stats/cases", params={"from": "2000-01-01", "to": "2025-01-01"}), 400, "invalid-query")
        assert http.get("/api/v1/stats/cases", params={"from": "2025-13-01"}).status_code == 422
        assert http.get("/api/v1/stats/cases", params={"format": "pdf"}).status_code == 422
        assert http.get("/api/v1/stats/footage", params={"group_by": "officers"}).status_code == 422
        assert_problem(http.get("/api/v1/stats/annual-report", params={"year": 2999}), 422)
        assert_problem(http.get("/api/v1/stats/cases", params={"agency": "OTHER"}), 403, "agency-not-yours")
    with leg.client(leg.token("case_system", agency)) as http:
        assert_problem(http.get("/api/v1/stats/cases"), 403, "forbidden-role")
    with leg.client(leg.token("auditor", f"X{agency}")) as http:  # another agency sees none of it
        assert stat(http, "cases")["totals"]["cases"] == 0
    with leg.client(leg.token("admin", "*")) as http:
        assert stat(http, "cases", agency=agency)["totals"]["cases"] == 11
        assert stat(http, "cases")["agency"] is None  # every agency


def test_footage_upload_lag_fixity_and_publication_timeliness(leg, clips):
    tz = ZoneInfo("Asia/Shanghai")
    now = datetime.now(tz).replace(microsecond=0)
    agency = with_profile(leg, f"SF{uuid.uuid4().hex[:6].upper()}")  # its publications are approved below
    period = {"from": (now - timedelta(days=5)).date().isoformat(), "to": now.date().isoformat()}
    with leg.client(leg.token("dock", agency)) as http:
        for name, seconds, dock, device, officers, ended_ago in (
            ("late", 1.0, "DOCK-1", "CAM-1", "3401001", timedelta(hours=50)),
            ("fresh", 2.0, "DOCK-1", "CAM-2", "3401001,3401002", timedelta(hours=2)),
            ("other", 3.0, "DOCK-2", "CAM-3", "3401002", timedelta(hours=30)),
        ):
            clip = clips(f"stats-{name}.mp4", seconds=seconds)
            upload_bytes(
                http,
                clip.read_bytes(),
                filename=clip.name,
                dock_id=dock,
                device_id=device,
                officer_ids=officers,
                recorded_at=(now - ended_ago).isoformat(),
            )
    with leg.client(leg.token("auditor", agency)) as http:
        footage = stat(http, "footage", **period, group_by="officer")
        by_officer = {r["key"]: (r["clips"], r["seconds"]) for r in footage["rows"]}
        assert set(by_officer) == {"3401001", "3401002"}
        assert by_officer["3401001"][0] == 2 and abs(by_officer["3401001"][1] - 3.0) < 0.3  # late 1 s + fresh 2 s
        assert by_officer["3401002"][0] == 2 and abs(by_officer["3401002"][1] - 5.0) < 0.3  # fresh 2 s + other 3 s
        docks = {r["key"]: r["clips"] for r in stat(http, "footage", **period, group_by="dock")["rows"]}
        assert docks == {"DOCK-1": 2, "DOCK-2": 1}
        lag = stat(http, "upload-lag", **period)
        bands = {r["band"]: r["clips"] for r in lag["rows"]}
        assert (bands["lag_6h"], bands["lag_72h"], bands["unknown"]) == (1, 2, 0)  # 2 h; 30 h and 50 h
        assert lag["totals"]["within_24h"] == 1 and lag["totals"]["within_24h_share"] == round(1 / 3, 4)

    leg.service.cli("fixity", "run", check=False)
    with leg.client(leg.token("auditor", agency)) as http:
        fixity = {r["result"]: r["checks"] for r in stat(http, "fixity", **period)["rows"]}
        assert fixity == {"ok": 3, "mismatch": 0, "missing": 0}

    # Publication timeliness: one published within its due date, one left unpublished past it.
    day = now.date()
    recent = (day - timedelta(days=1)).isoformat()
    with leg.client(leg.token("case_system", agency)) as http:
        case, document = decided(http, decided_on=recent)
        on_time = draft(http, case, document).json()["id"]
        case, document = decided(http, decided_on=(day - timedelta(days=60)).isoformat())
        assert draft(http, case, document).status_code == 201
    with leg.client(leg.token("admin", agency)) as http:
        assert http.post(f"/api/v1/publications/{on_time}/approve").status_code == 200
        assert (
            http.post(
                f"/api/v1/publications/{on_time}/notice", json={"method": "in_decision", "notified_at": at(recent, "15:00")}
            ).status_code
            == 200
        )
        assert http.post(f"/api/v1/publications/{on_time}/publish").status_code == 200
    with leg.client(leg.token("auditor", agency)) as http:
        rows = {
            r["kind"]: r
            for r in stat(http, "publications", **{"from": (day - timedelta(days=90)).isoformat(), "to": day.isoformat()})["rows"]
        }
        penalty = rows["penalty"]
        assert (penalty["publications"], penalty["published_on_time"], penalty["unpublished_overdue"], penalty["on_time_share"]) == (
            2,
            1,
            1,
            0.5,
        )


def test_followers_racing_and_one_killed_leave_the_figures_right(leg):
    """The worker, two `stats refresh` processes following the same events at once, and a third killed with
    SIGKILL half-way: every figure is recomputed from its source, so the result is the same as one run's."""
    import signal
    import subprocess

    from .support.servers import BIN

    agency = f"SW{uuid.uuid4().hex[:6].upper()}"
    with leg.client(leg.token("case_system", agency)) as http:
        made = [decided_case(http, filed="2025-05-06", decided=f"2025-06-{day:02d}") for day in range(2, 12)]
        live = Counter(f["kind"] for case in made for f in case.timeline()["completeness"]["findings"])
    command = [str(BIN / "recording-service"), "stats", "refresh"]
    racers = [
        subprocess.Popen(
            command,
            env=leg.service.env,
            cwd=leg.service.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for _ in range(3)
    ]
    time.sleep(1.5)
    racers[2].send_signal(signal.SIGKILL)
    outputs = [racer.communicate(timeout=120) for racer in racers]
    assert [racer.returncode for racer in racers[:2]] == [0, 0], outputs
    result = leg.service.cli("stats", "refresh", "--all")  # what an operator runs after a catalog change: every case again
    assert result.returncode == 0 and '"pending": 0' in result.stdout and json.loads(result.stdout)["recomputed"] >= 10
    with leg.client(leg.token("auditor", agency)) as http:
        assert stat(http, "cases")["totals"]["cases"] == 10
        assert {r["kind"]: r["findings"] for r in stat(http, "findings")["rows"]} == dict(live)
        general = next(t["rows"][0] for t in annual(http, 2025)["tables"] if t["kind"] == "penalty")
        assert general["decisions"] == 10 and general["unrecorded"] == 10


def test_dashboard_and_annual_report_pages_in_the_browser(leg, page):
    from playwright.sync_api import expect

    from .support.web import create_person, shots, sign_in

    agency = f"SB{uuid.uuid4().hex[:6].upper()}"
    with leg.client(leg.token("case_system", agency)) as http:
        seed(http)
    with leg.client(leg.token("auditor", agency)) as http:
        assert stat(http, "cases")["totals"]["cases"] == 11  # the figures have followed the seeding
    person = f"aud{uuid.uuid4().hex[:6]}"
    create_person(leg, person, "auditor", agency, "执法监督员")
    sign_in(page, leg.url, person, target="/stats?from=2025-01-01&to=2025-12-31")
    expect(page.locator("h1")).to_contain_text("执法数据统计")
    charts = page.locator("section.stat svg.chart")
    expect(charts).to_have_count(14)  # every statistic: 执法行为类别, 投诉办理, 音像关联率, 设备使用率 and 设备与人员 among them
    cases_chart = page.locator("#cases svg.chart")
    expect(cases_chart.locator("rect")).to_have_count(9)  # nine months with cases
    box = cases_chart.bounding_box()
    assert box and box["width"] > 400
    expect(page.locator("#time-limits table")).to_contain_text("自立案之日起九十日内作出行政处罚决定")
    expect(page.locator("#kinds table tbody tr")).to_have_count(6)  # every kind the catalog has, 征收 and 确认 at zero
    expect(page.locator("#kinds table")).to_contain_text("行政确认")
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "stats.png"), full_page=False)
    with page.expect_download() as download:
        page.click("#cases a:has-text('XLSX')")
    assert download.value.suggested_filename.endswith(".xlsx")

    page.goto(leg.url + "/stats/annual-report?year=2025")
    expect(page.locator("h1")).to_contain_text("2025年度行政执法统计年报")
    penalty = page.locator("table.annual[data-kind=penalty]")
    expect(penalty.locator("tr.total td").nth(1)).to_have_text("4")
    expect(page.locator("main")).to_contain_text("报送期限：2026-01-31")
    if leg.name == "sqlite-fs":
        page.emulate_media(media="print")
        page.screenshot(path=str(shots() / "annual-report.png"), full_page=True)
        page.emulate_media(media="screen")
    page.goto(leg.url + "/stats/annual-report?year=20x5")
    expect(page.locator("main")).to_contain_text("年度应为四位数字")
    page.goto(leg.url + "/stats?from=2025-13-01")
    expect(page.locator("main")).to_contain_text("日期格式")
