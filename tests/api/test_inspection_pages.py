"""双随机's pages in this process: an administrator imports the 名录库, makes a plan, draws, adjusts, records and
publishes a result through the forms; an auditor reads but changes nothing; the public pages show the result list and
the draw's commitment, seed and pool; bad input answers a page in Chinese, never a 500. (Chromium on both legs:
tests/test_inspections.py.)"""

import re
import uuid

from ..support.clock import agency_today
from ..support.inprocess import create_person, signed_in_client
from ..support.inspections import csv_sheet, officer, register, subject_rows
from ..support.publishing import with_profile


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_an_administrator_draws_and_publishes_through_the_pages_and_the_public_reads_them(inproc):
    agency = f"SP{uuid.uuid4().hex[:6].upper()}"
    with_profile(inproc, agency)
    with inproc.client(inproc.token("admin", agency)) as api:
        register(api, officer("3800001", "张检查"), officer("3800002", "李检查"), officer("3800003", "王检查"))
    create_person(inproc, f"adm{agency.lower()}", "admin", agency, "管理员甲")
    create_person(inproc, f"aud{agency.lower()}", "auditor", agency, "监督乙")
    with signed_in_client(inproc, f"adm{agency.lower()}") as browser, inproc.client() as anonymous:
        csrf = csrf_of(browser.get("/inspections/subjects").text)

        def go(url, **body):
            return browser.post(url, follow_redirects=True, **body)

        files = {"file": ("名录库.csv", csv_sheet(subject_rows(6), encoding="gbk"), "text/csv")}
        imported = go("/inspections/subjects/import", data={"csrf_token": csrf}, files=files)
        assert imported.status_code == 200 and "已导入名录库第 1 版：6 个检查对象" in imported.text, imported.text[-2000:]
        bad = go(
            "/inspections/subjects/import",
            data={"csrf_token": csrf},
            files={"file": ("x.csv", "统一社会信用代码,名称\n123,某店\n".encode(), "text/csv")},
        )
        assert bad.status_code == 422 and "第 2 行 统一社会信用代码" in bad.text

        page = browser.get("/inspections")
        assert page.status_code == 200 and "制定抽查计划" in page.text
        form = {
            "csrf_token": csrf,
            "matter_code": "medical-practice-spot-check",
            "name": "医疗机构依法执业抽查（第一批）",
            "year": str(agency_today().year),
            "measure": "count",
            "amount": "2",
            "inspectors_per_task": "2",
            "due_on": agency_today().replace(month=12, day=31).isoformat(),
        }
        refused = go("/inspections/plans", data={**form, "inspectors_per_task": "1"})
        assert refused.status_code == 422 and "每项任务检查人员数" in refused.text
        made = browser.post("/inspections/plans", data=form, follow_redirects=False)
        assert made.status_code == 303, made.text[-2000:]
        plan_url = made.headers["location"]
        plan_page = browser.get(plan_url).text
        commitment = re.search(r'id="commitment">([0-9a-f]{64})<', plan_page).group(1)

        drawn = go(f"{plan_url}/draw", data={"csrf_token": csrf, "seed": "2026140"})
        assert drawn.status_code == 200 and "已完成第 1 次抽取：抽中 2 个检查对象" in drawn.text, drawn.text[-2000:]
        again = go(f"{plan_url}/draw", data={"csrf_token": csrf})
        assert "重新抽取须说明原因" in again.text
        draw_id = re.search(r'href="/public/draws/([0-9a-f]{32})"', again.text).group(1)
        task_ids = re.findall(r'action="/inspections/tasks/([0-9a-f]{32})/adjust"', again.text)
        assert len(task_ids) == 2

        adjusted = go(
            f"/inspections/tasks/{task_ids[0]}/adjust",
            data={"csrf_token": csrf, "inspectors": "3800001、3800009", "adjustment_reason": "回避"},
        )
        assert "没有“医疗卫生”类别的有效执法证" in adjusted.text
        recorded = go(
            f"/inspections/tasks/{task_ids[0]}/result",
            data={"csrf_token": csrf, "checked_on": agency_today().isoformat(), "result": "rectify_ordered", "note": "已责令限期整改"},
        )
        assert "检查结果已登记" in recorded.text
        published = go(f"/inspections/tasks/{task_ids[0]}/publish", data={"csrf_token": csrf})
        assert "检查结果已公示" in published.text

        results = anonymous.get("/public/inspection-results", params={"agency": agency})
        assert results.status_code == 200 and "发现问题已责令整改" in results.text and "已责令限期整改" in results.text
        assert "濉溪县卫生健康委员会" in results.text
        assert anonymous.get("/public/inspection-results", params={"yaer": "2026"}).status_code == 400
        assert anonymous.get("/public/inspection-results", params={"year": "abc"}).status_code == 422
        public_draw = anonymous.get(f"/public/draws/{draw_id}")
        assert public_draw.status_code == 200 and commitment in public_draw.text and "复核一致" in public_draw.text
        assert "2026140" in public_draw.text and "濉溪县第" in public_draw.text and "淮海路" not in public_draw.text  # no addresses
        assert anonymous.get(f"/public/draws/{uuid.uuid4().hex}").status_code == 404

    with signed_in_client(inproc, f"aud{agency.lower()}") as auditor:
        page = auditor.get(plan_url)
        assert page.status_code == 200 and "登记结果" not in page.text and "抽取检查对象和检查人员" not in page.text
        assert auditor.post(f"{plan_url}/draw", data={"csrf_token": csrf_of(page.text), "reason": "想重抽"}).status_code == 403
        assert auditor.get("/inspections", params={"bogus": "1"}).status_code == 400
        assert auditor.get("/inspections/subjects").status_code == 200
        # The published results downloaded from the pages, as the 双公示 export page offers them.
        assert "/inspections/results.xlsx" in auditor.get("/publications/export").text
        sheet = auditor.get("/inspections/results.csv")
        assert (
            sheet.status_code == 200 and sheet.headers["x-records"] == "1" and sheet.headers["content-disposition"].startswith("attachment")
        )
        lines = sheet.content.decode("utf-8-sig").splitlines()
        assert lines[0].startswith("计划编号,计划名称,任务编号") and "已责令限期整改" in lines[1]
        assert auditor.get("/inspections/results.xlsx").content[:2] == b"PK"
        assert auditor.get("/inspections/results.pdf").status_code == 404
        assert auditor.get("/inspections/results.csv", params={"yaer": "2026"}).status_code == 400


def test_bad_input_to_the_inspection_pages_answers_a_page_never_a_500(inproc):
    agency = f"SQ{uuid.uuid4().hex[:6].upper()}"
    create_person(inproc, f"adm{agency.lower()}", "admin", agency, "管理员丙")
    with signed_in_client(inproc, f"adm{agency.lower()}") as browser, inproc.client() as anonymous:
        csrf = csrf_of(browser.get("/inspections").text)
        for path in (
            "/inspections?year=abc",
            "/inspections?year=1999",
            f"/inspections/plans/{'x' * 300}",
            "/inspections/subjects?risk=extreme",
        ):
            answer = browser.get(path)
            assert answer.status_code in (400, 404, 422) and "<html" in answer.text, (path, answer.status_code)
        base = {
            "csrf_token": csrf,
            "matter_code": "medical-practice-spot-check",
            "name": "计划",
            "year": "2026",
            "inspectors_per_task": "2",
        }
        for bad in (
            {"measure": "ratio", "amount": "abc", "due_on": "2099-01-01"},
            {"measure": "ratio", "amount": "500", "due_on": "2099-01-01"},
            {"measure": "count", "amount": "3", "due_on": "2026-13-01"},
            {"measure": "count", "amount": "3", "due_on": "2099-01-01", "year": "20x6"},
            {"measure": "count", "amount": "3", "due_on": "2099-01-01", "risk": "extreme"},
            {"measure": "count", "amount": "3", "due_on": "2099-01-01", "matter_code": "nope"},
            {"measure": "count", "amount": "3", "due_on": "2099-01-01", "name": "\x00"},
        ):
            answer = browser.post("/inspections/plans", data={**base, **bad})
            assert answer.status_code in (400, 422) and "未保存" in answer.text, (
                bad,
                answer.status_code,
                answer.text[-500:],
            )
        assert (
            browser.post("/inspections/plans", data={**base, "measure": "count", "amount": "3", "due_on": "2099-01-01"}).status_code == 303
        )
        plan_id = re.search(r'href="/inspections/plans/([0-9a-f]{32})"', browser.get("/inspections").text).group(1)
        drawn = browser.post(f"/inspections/plans/{plan_id}/draw", data={"csrf_token": csrf}, follow_redirects=True)
        assert drawn.status_code == 200 and "尚未导入检查对象名录库" in drawn.text
        assert (
            browser.post(f"/inspections/tasks/{uuid.uuid4().hex}/result", data={"csrf_token": csrf, "result": "bogus"}).status_code == 404
        )
        assert (
            browser.post(
                "/inspections/conflicts", data={"csrf_token": csrf, "officer_id": "3401001", "uscc": "abc", "reason": "x"}
            ).status_code
            == 303
        )
        assert browser.post("/inspections/conflicts/nope/withdraw", data={"csrf_token": csrf, "reason": "x"}).status_code == 303
        assert (
            browser.post(
                "/inspections/plans", data={**base, "measure": "count", "amount": "3", "due_on": "2099-01-01", "csrf_token": "forged"}
            ).status_code
            == 403
        )
        for path in ("/public/inspection-results?cursor=forged", "/public/inspection-results?year=1999", f"/public/draws/{'y' * 100}"):
            answer = anonymous.get(path)
            assert answer.status_code in (400, 404, 422) and "<html" in answer.text, (path, answer.status_code)
