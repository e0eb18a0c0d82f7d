"""The case list on both legs: the /cases page in Debian's Chromium (partial search, filters, the list as a
download) and, on PostgreSQL, the trigram indexes the partial search uses. (The search rules themselves:
tests/api/test_case_search.py.)"""

import csv
import io
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from .support.cases import case_body
from .support.web import create_person, shots, sign_in

AGENCY = "LIST1"


@pytest.fixture(scope="module")
def listed(leg):
    """Three cases of one agency with folded-search targets, and an auditor of that agency."""
    suffix = uuid.uuid4().hex[:6]
    with leg.client(leg.token("case_system", AGENCY)) as http:
        bodies = [
            case_body(
                case_number=f"濉卫立〔2026〕12号-{suffix}",
                opened_at="2026-03-02T09:00:00+08:00",
                parties=[{"name": "濉溪县某某口腔诊所", "kind": "organization", "id_number": "91340621MA2N0ABC1X"}],
            ),
            case_body(
                case_number=f"濉卫立〔2025〕9号-{suffix}",
                opened_at="2025-11-20T09:00:00+08:00",
                procedure="inspection-routine",
                title="公共场所卫生监督检查",
            ),
            case_body(case_number=f"濉卫医罚〔2026〕7号-{suffix}", opened_at="2026-06-15T09:00:00+08:00", title="某药店销售假药案"),
        ]
        cases = []
        for body in bodies:
            response = http.post("/api/v1/cases", json=body)
            assert response.status_code == 201, response.text
            cases.append(response.json())
    auditor = f"lister{suffix}"
    create_person(leg, auditor, "auditor", AGENCY, "吴监督")
    return {"cases": cases, "auditor": auditor}


def test_the_case_list_page_searches_filters_and_exports(leg, page: Page, listed):
    twelve, nine, seven = (c["case_number"] for c in listed["cases"])
    sign_in(page, leg.url, listed["auditor"])
    expect(page).to_have_url(re.compile(r"/cases$"))
    rows = page.locator("table.list tbody tr")
    # 立案日期 newest first, with the total.
    expect(rows).to_have_count(3)
    expect(page.locator("#case-total")).to_have_text("3")
    expect(rows.locator("td.number")).to_have_text([seven, twelve, nine])

    # Part of the 案号, typed with other brackets and full-width digits.
    page.fill("input[name=q]", "［２０２６］１２号")
    page.click("form.filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(twelve)
    page.fill("input[name=q]", "12号")
    page.click("form.filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(page.locator("#case-total")).to_have_text("1")
    if leg.name == "sqlite-fs":
        page.fill("input[name=q]", "")
        page.click("form.filters button[type=submit]")
        expect(rows).to_have_count(3)
        page.screenshot(path=str(shots() / "cases.png"))

    # Filters: 年份, 程序, and a search within them; 清除条件 starts again.
    page.fill("input[name=q]", "濉卫")
    page.select_option("select[name=year]", "2026")
    page.click("form.filters button[type=submit]")
    expect(rows.locator("td.number")).to_have_text([seven, twelve])
    page.select_option("select[name=procedure]", "inspection-routine")
    page.select_option("select[name=year]", "")
    page.click("form.filters button[type=submit]")
    expect(rows.locator("td.number")).to_have_text([nine])
    page.select_option("select[name=procedure]", "")
    page.select_option("select[name=year]", "2026")
    page.click("form.filters button[type=submit]")

    # The list as the filters chose it, as a file people open in Excel.
    with page.expect_download() as download:
        page.click(".downloads a:has-text('CSV')")
    assert download.value.suggested_filename.endswith(".csv")
    sheet = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert sheet[0][:2] == ["案号", "案由"] and "证件号码" in sheet[0]
    assert [row[0] for row in sheet[1:]] == [seven, twelve]
    with page.expect_download() as download:
        page.click(".downloads a:has-text('XLSX')")
    assert download.value.suggested_filename.endswith(".xlsx")

    page.click("text=清除条件")
    expect(rows).to_have_count(3)


def test_partial_search_on_each_database_and_its_trigram_indexes_on_postgresql(leg, listed):
    with leg.client(leg.token("auditor", AGENCY)) as http:
        # ASCII brackets and no 濉卫立 prefix; the fixture's suffix keeps it to this run's case (a module fixture may
        # be built again on the same database when xdist interleaves modules).
        suffix = listed["cases"][0]["case_number"].rsplit("-", 1)[1]
        found = http.get("/api/v1/cases", params={"q": f"(2026)12号-{suffix}"}).json()
        assert [c["id"] for c in found["items"]] == [listed["cases"][0]["id"]] and found["total"] == 1
    if leg.name != "postgres-s3":
        return  # SQLite has no trigram index: it scans, which its sizes allow
    import psycopg

    with psycopg.connect(leg.service.env["RECORDING_DATABASE_URL"]) as conn:
        assert conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").fetchone()
        indexes = dict(conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases'").fetchall())
        for name, column in (("ix_cases_search_text_trgm", "search_text"), ("ix_cases_search_ids_trgm", "search_ids")):
            assert re.search(rf"USING gin \({column} gin_trgm_ops\)", indexes[name]), indexes[name]
        # The search the service runs (LIKE with an escape character), with every other way of reading the table priced
        # out: the plan can use the trigram index. (Which plan wins with the planner free depends on the table's size.)
        conn.execute("SET enable_seqscan = off")
        conn.execute("SET enable_indexscan = off")
        conn.execute("SET enable_indexonlyscan = off")
        plan = "\n".join(row[0] for row in conn.execute("EXPLAIN SELECT id FROM cases WHERE search_text LIKE '%12号%' ESCAPE '\\'"))
        assert "ix_cases_search_text_trgm" in plan and "Disabled" not in plan, plan
        stored = conn.execute("SELECT search_text FROM cases WHERE id = %s", (listed["cases"][0]["id"],)).fetchone()[0]
        assert stored.startswith("濉卫立(2026)12号-")
