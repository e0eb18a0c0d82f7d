"""The case list through the API of the app in this process: partial and folded search (案号, parties, officers,
ID numbers for the roles that may read them), the filters, the total, the order, the cursor, and the list as
CSV and XLSX. (The page /cases in the browser, and the trigram index on PostgreSQL: tests/test_case_list.py.)"""

import csv
import io

from openpyxl import load_workbook

from recording_service.stats.refresh import follow

from ..support.api import assert_problem
from ..support.cases import Case, at, case_body
from ..support.inprocess import create_person, signed_in_client

AGENCY = "SRCH1"


def _open(http, number: str, opened_at: str, **body) -> dict:
    response = http.post("/api/v1/cases", json=case_body(case_number=number, opened_at=opened_at, **body))
    assert response.status_code == 201, response.text
    return response.json()


def _cases(inproc) -> dict[str, dict]:
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        return {
            "twelve": _open(
                http,
                "濉卫立〔2026〕12号",
                "2026-03-02T09:00:00+08:00",
                title="某诊所未取得医疗机构执业许可证擅自执业案",
                parties=[{"name": "濉溪县某某口腔诊所", "kind": "organization", "id_number": "91340621MA2N0ABC1X"}],
                officers=[{"officer_id": "3401001", "name": "李四", "certificate_number": "皖卫执证0001"}],
            ),
            "hundred": _open(
                http,
                "濉卫立〔2025〕112号",
                "2025-11-20T09:00:00+08:00",
                procedure="inspection-routine",
                title="公共场所卫生监督检查",
                parties=[{"name": "Jinhu Hotel 金湖宾馆", "kind": "organization", "id_number": "91340621MA2NXYZ99Q"}],
                officers=[{"officer_id": "3401002", "name": "王五", "certificate_number": "皖卫执证0002"}],
            ),
            "other": _open(
                http,
                "濉卫医罚〔2026〕7号",
                "2026-06-15T09:00:00+08:00",
                title="某药店销售假药案",
                parties=[{"name": "张三", "kind": "person", "id_number": "340621199001011232"}],
                officers=[{"officer_id": "3401003", "name": "赵六", "certificate_number": "皖卫执证0003"}],
            ),
        }


def _numbers(http, **params) -> list[str]:
    response = http.get("/api/v1/cases", params=params)
    assert response.status_code == 200, response.text
    return [c["case_number"] for c in response.json()["items"]]


def test_partial_folded_search_over_number_party_and_officer(inproc):
    _cases(inproc)
    with inproc.client(inproc.token("auditor", AGENCY)) as http:
        # Part of a 案号, in any width and bracket: "12号" finds 12号 and 112号, not 7号.
        assert sorted(_numbers(http, q="12号")) == ["濉卫立〔2025〕112号", "濉卫立〔2026〕12号"]
        for typed in ("〔2026〕12号", "[2026]12号", "［２０２６］１２号", "(2026)12号", "（2026）12 号", " 濉卫立 2026 12号 "):
            assert "濉卫立〔2026〕12号" in _numbers(http, q=typed), typed
        assert _numbers(http, q="[2026]12号") == ["濉卫立〔2026〕12号"]
        assert sorted(_numbers(http, q="濉卫立")) == ["濉卫立〔2025〕112号", "濉卫立〔2026〕12号"]
        # Parties (part of a name, case folded), officers by name, number and 执法证号, 案由.
        assert _numbers(http, q="口腔") == ["濉卫立〔2026〕12号"]
        assert _numbers(http, q="JINHU hotel") == ["濉卫立〔2025〕112号"]
        assert _numbers(http, q="ｊｉｎｈｕ") == ["濉卫立〔2025〕112号"]
        assert _numbers(http, q="赵六") == ["濉卫医罚〔2026〕7号"]
        assert _numbers(http, q="3401002") == ["濉卫立〔2025〕112号"]
        assert _numbers(http, q="执证0001") == ["濉卫立〔2026〕12号"]
        assert _numbers(http, q="假药") == ["濉卫医罚〔2026〕7号"]
        # Every word must match; a word is never found across two fields.
        assert _numbers(http, q="濉卫立 李四") == ["濉卫立〔2026〕12号"]
        assert _numbers(http, q="濉卫立 赵六") == []
        assert _numbers(http, q="12号某某") == []
        # LIKE's wildcards are plain characters in a search.
        assert _numbers(http, q="%") == [] and _numbers(http, q="_") == []
        # The exact 案号 filter is as it was: the whole number (full-width folded), nothing partial.
        assert _numbers(http, case_number="濉卫立〔2026〕12号") == ["濉卫立〔2026〕12号"]
        assert _numbers(http, case_number="12号") == []


def test_id_numbers_are_searched_only_by_the_roles_that_may_read_them(inproc):
    _cases(inproc)
    for role in ("auditor", "admin", "case_system"):
        with inproc.client(inproc.token(role, AGENCY)) as http:
            assert _numbers(http, q="91340621ma2n0abc") == ["濉卫立〔2026〕12号"], role  # 统一社会信用代码, partial, any case
            assert _numbers(http, q="199001011232") == ["濉卫医罚〔2026〕7号"], role  # 身份证号
    with inproc.client(inproc.token("reviewer", AGENCY)) as http:
        page = http.get("/api/v1/cases", params={"q": "199001011232"}).json()
        assert page["items"] == [] and page["total"] == 0
        assert _numbers(http, q="MA2N0ABC1X") == []
        assert _numbers(http, q="张三") == ["濉卫医罚〔2026〕7号"]  # the name is not personal data here
        assert all(p["id_number"] is None for c in http.get("/api/v1/cases").json()["items"] for p in c["parties"])
    # Another agency finds nothing of these.
    with inproc.client(inproc.token("auditor", "SRCH2")) as http:
        assert _numbers(http, q="濉卫立") == []


def test_filters_total_order_and_cursor(inproc):
    cases = _cases(inproc)
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        extra = [_open(http, f"濉卫立〔2026〕{n}号", f"2026-0{n % 9 + 1}-10T09:00:00+08:00") for n in range(20, 26)]
    with inproc.client(inproc.token("auditor", AGENCY)) as http:
        everything = http.get("/api/v1/cases").json()
        assert everything["total"] == 9 and len(everything["items"]) == 9
        # The API's order is still the order of creation, and its cursor walks it as before.
        assert [c["id"] for c in everything["items"]] == [c["id"] for c in [*cases.values(), *extra]]
        walked, cursor, totals = [], None, set()
        while True:
            page = http.get("/api/v1/cases", params={"limit": 4, **({"cursor": cursor} if cursor else {})}).json()
            walked += [c["id"] for c in page["items"]]
            totals.add(page["total"])
            if not (cursor := page["next_cursor"]):
                break
        assert walked == [c["id"] for c in everything["items"]] and totals == {9}

        # 立案日期 newest first, a page at a time; the total counts every page.
        newest = sorted(everything["items"], key=lambda c: (c["opened_at"], c["id"]), reverse=True)
        walked, cursor = [], None
        while True:
            params = {"sort": "-opened_at", "limit": 2, "q": "濉卫立", **({"cursor": cursor} if cursor else {})}
            page = http.get("/api/v1/cases", params=params).json()
            assert page["total"] == 8
            walked += [c["id"] for c in page["items"]]
            if not (cursor := page["next_cursor"]):
                break
        assert walked == [c["id"] for c in newest if "濉卫立" in c["case_number"]]
        oldest = http.get("/api/v1/cases", params={"sort": "opened_at", "limit": 1}).json()
        assert oldest["items"][0]["case_number"] == "濉卫立〔2025〕112号" and oldest["total"] == 9
        assert_problem(http.get("/api/v1/cases", params={"sort": "title"}), 422)

        # 年份 (in the service's zone: 2026-01-01 00:30 in Beijing is 2026), 程序, 状态, combined with q.
        assert _numbers(http, year=2025) == ["濉卫立〔2025〕112号"]
        assert http.get("/api/v1/cases", params={"year": 2026}).json()["total"] == 8
        assert _numbers(http, procedure="inspection-routine") == ["濉卫立〔2025〕112号"]
        assert _numbers(http, year=2026, q="12号") == ["濉卫立〔2026〕12号"]
        assert http.get("/api/v1/cases", params={"status": "closed"}).json()["total"] == 0
        assert http.get("/api/v1/cases", params={"year": 2026, "opened_before": "2026-03-11T00:00:00+08:00"}).json()["total"] == 2
        assert_problem(http.get("/api/v1/cases", params={"year": 99}), 422)
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        new_year = _open(http, "濉卫立〔2026〕1号", "2026-01-01T00:30:00+08:00")
    with inproc.client(inproc.token("auditor", AGENCY)) as http:
        assert new_year["case_number"] in _numbers(http, year=2026) and new_year["case_number"] not in _numbers(http, year=2025)


def _complete_license_case(http) -> dict:
    """A 行政许可 case with every record it needs: no findings."""
    day, decided = "2026-03-02", "2026-03-05"
    case = Case(http, procedure="license", filed=day)
    case.stage("acceptance", day, docs=[("application_acceptance", {"issued_at": at(day)})])
    case.skip("verification", "无需现场审核")
    case.stage("decision", decided, docs=[("license_decision", {"issued_at": at(decided)})])
    receipt = {"status": "served", "served_at": at(decided), "issued_at": at(decided)}
    case.stage("service", decided, docs=[("service_receipt", receipt)], attributes={"method": "direct"})
    case.stage("closing", decided)
    assert case.timeline()["completeness"] == {
        "complete": True,
        "state": "complete",
        "findings": [],
        "in_progress": [],
        "recommendations": [],
    }
    return case.case


def test_has_problems_reads_the_statistics_figures(inproc):
    cases = _cases(inproc)  # opened with nothing recorded: each lacks its records
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        complete = _complete_license_case(http)
    with inproc.client(inproc.token("auditor", AGENCY)) as http:
        # Before the statistics have followed the changes, no case is known to have problems or none.
        assert http.get("/api/v1/cases", params={"has_problems": "true"}).json()["total"] == 0
        assert http.get("/api/v1/cases", params={"has_problems": "false"}).json()["total"] == 0
        inproc.run(lambda sessionmaker, store: follow(sessionmaker, inproc.app.state.catalog, inproc.settings))
        with_problems = http.get("/api/v1/cases", params={"has_problems": "true"}).json()
        assert {c["id"] for c in with_problems["items"]} == {c["id"] for c in cases.values()} and with_problems["total"] == 3
        assert [c["id"] for c in http.get("/api/v1/cases", params={"has_problems": "false"}).json()["items"]] == [complete["id"]]
        assert _numbers(http, has_problems="true", q="口腔") == ["濉卫立〔2026〕12号"]
        assert_problem(http.get("/api/v1/cases", params={"has_problems": "maybe"}), 422)


def test_the_list_as_csv_and_xlsx(inproc):
    _cases(inproc)
    with inproc.client(inproc.token("auditor", AGENCY)) as http:
        response = http.get("/api/v1/cases/export", params={"format": "csv", "q": "濉卫立"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv") and response.headers["x-records"] == "2"
        assert "filename*=UTF-8''" in response.headers["content-disposition"]
        assert response.content.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == ["案号", "案由", "程序", "执法类别", "状态", "当事人", "证件号码", "执法人员", "立案日期", "结案日期"]
        assert [r[0] for r in rows[1:]] == ["濉卫立〔2026〕12号", "濉卫立〔2025〕112号"]  # 立案日期 newest first
        first = dict(zip(rows[0], rows[1]))
        assert first["状态"] == "办理中" and first["程序"] == "行政处罚一般程序" and first["立案日期"] == "2026-03-02"
        assert first["证件号码"] == "91340621MA2N0ABC1X" and first["执法人员"] == "李四（皖卫执证0001）" and first["结案日期"] == ""

        response = http.get("/api/v1/cases/export", params={"format": "xlsx", "year": 2026})
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).active
        values = [[cell.value for cell in row] for row in sheet.iter_rows()]
        assert values[0][0] == "案号" and [r[0] for r in values[1:]] == ["濉卫医罚〔2026〕7号", "濉卫立〔2026〕12号"]
        assert sheet.title == "案件列表"

        assert_problem(http.get("/api/v1/cases/export", params={"format": "pdf"}), 422)
        assert_problem(http.get("/api/v1/cases/export", params={"yaer": 2026}), 400, "unknown-parameter")
        trail = http.get("/api/v1/audit/events", params={"action": "case.list_exported"}).json()["items"]
        assert [(e["payload"]["format"], e["payload"]["rows"]) for e in trail] == [("csv", 2), ("xlsx", 2)]

    with inproc.client(inproc.token("reviewer", AGENCY)) as http:
        rows = list(csv.reader(io.StringIO(http.get("/api/v1/cases/export").content.decode("utf-8-sig"))))
        assert "证件号码" not in rows[0] and len(rows) == 4
        assert not any("91340621" in cell or "199001011232" in cell for row in rows for cell in row)
        assert http.get("/api/v1/cases/export", params={"q": "199001011232"}).headers["x-records"] == "0"


def test_the_page_searches_filters_counts_and_exports(inproc):
    _cases(inproc)
    create_person(inproc, "srch-reviewer", "reviewer", AGENCY, "钱评查")
    with signed_in_client(inproc, "srch-reviewer") as http:
        page = http.get("/cases", params={"q": "12号"})
        assert page.status_code == 200
        assert "濉卫立〔2026〕12号" in page.text and "濉卫立〔2025〕112号" in page.text and "濉卫医罚〔2026〕7号" not in page.text
        assert 'id="case-total">2<' in page.text
        assert 'id="case-total">1<' in http.get("/cases", params={"q": "12号", "year": "2026"}).text
        assert "91340621MA2N0ABC1X" not in http.get("/cases").text  # a reviewer reads no ID numbers
        assert 'id="case-total">0<' in http.get("/cases", params={"q": "MA2N0ABC1X"}).text
        for bad in ({"year": "20x6"}, {"year": "1900"}, {"has_problems": "abc"}):
            assert http.get("/cases", params=bad).status_code == 400
        sheet = http.get("/cases/export", params={"q": "濉卫立", "format": "csv"})
        rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
        assert [r[0] for r in rows[1:]] == ["濉卫立〔2026〕12号", "濉卫立〔2025〕112号"] and "证件号码" not in rows[0]
