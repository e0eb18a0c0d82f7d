"""A decided case and its publication: the texts, the agency profile, a webhook receiver."""

from . import doc_number
from .cases import Case, at

WITNESS, PATIENT = "钱七", "孙八"


ID_NUMBER, PHONE, HOME = "340621199001011232", "138 1234 5678", "濉溪县濉溪镇淮海路18号2栋301室"


DECISION_TEXT = (
    f"当事人：张三，男，身份证号码：{ID_NUMBER}，住址：{HOME}，联系电话：{PHONE}。\n"
    f"经查，当事人未取得《医疗机构执业许可证》擅自执业，为患者{PATIENT}输液，证人{WITNESS}（电话0561-3012345）证实。"
    "依据《医疗机构管理条例》第四十三条，决定罚款人民币20000元。"
)


AUTHORITY_CODE = "11340621MB0061580C"  # a 统一社会信用代码 with a valid check character (GB 32100)


AUTHORITY_NAME = "濉溪县卫生健康委员会"


def with_profile(leg_or_service, agency: str, name: str = AUTHORITY_NAME, uscc: str = AUTHORITY_CODE) -> str:
    """The agency's profile, set by the CLI as an operator does: what names it in every publication. (In this
    process, tests/support/inprocess.py, by the code `agency set` runs, with the same values.)"""
    if hasattr(leg_or_service, "set_agency"):
        fields = {"name_zh": name, "uscc": uscc, "division_code": "340621", "address": "濉溪县濉溪镇人民路1号", "phone": "0561-6012345"}
        leg_or_service.set_agency(agency, fields)
        return agency
    service = getattr(leg_or_service, "service", leg_or_service)
    result = service.cli(
        "agency",
        "set",
        agency,
        "--name-zh",
        name,
        "--uscc",
        uscc,
        "--division",
        "340621",
        "--address",
        "濉溪县濉溪镇人民路1号",
        "--phone",
        "0561-6012345",
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return agency


CLINIC_CODE = "91340600MA2N0ABCDT"


ORG_DECISION = (
    "当事人：濉溪县康宁口腔门诊部有限公司\n统一社会信用代码：91340600MA2N0ABCDT\n法定代表人：李建国\n"
    "住所：濉溪县濉溪镇淮海路18号\n"
    "经查，你单位于2026年8月5日至2026年9月1日期间，未取得《放射诊疗许可证》开展口腔CT放射诊疗活动，为患者周小红等"
    "12人拍摄口腔CT，周小红联系电话13912345678。以上事实有现场笔录、询问笔录为证。\n"
    "你单位的上述行为违反了《放射诊疗管理规定》第十六条的规定。依据《放射诊疗管理规定》第三十八条第一项的规定，本机关决定"
    "给予警告、没收违法所得人民币5000元、罚款人民币30000元的行政处罚。\n"
    "执法人员：李四（执法证号：34062120230001）、王五。"
)


def organisation_decided(http, agency_text=ORG_DECISION, decided_on="2026-09-24", party="濉溪县康宁口腔门诊部有限公司", **facts):
    case = Case(
        http,
        filed="2026-08-20",
        category="未取得放射诊疗许可证开展放射诊疗",
        parties=[{"name": party, "kind": "organization", "id_number": CLINIC_CODE, "legal_representative": "李建国"}],
    )
    case.facts(**{"penalties": ["warning", "confiscation_gains", "fine"], "fine_yuan": 30000, "confiscated_yuan": 5000, **facts})
    case.stage("filing", "2026-08-20")
    case.stage("investigation", "2026-08-21")
    case.stage("review", "2026-09-01")
    case.stage("notification", "2026-09-02")
    case.skip("hearing")
    case.stage("decision", decided_on)
    document = case.document(
        "decision",
        "penalty_decision",
        issued_at=at(decided_on),
        text=agency_text,
        title="行政处罚决定书",
        doc_number=doc_number(),
        signers=["李建国"],
    )
    return case, document


def decided(http, decided_on="2026-09-24", text=DECISION_TEXT, procedure="penalty-general", **facts):
    case = Case(
        http,
        filed="2026-09-01",
        parties=[{"name": "张三", "kind": "person", "id_number": ID_NUMBER}],
        category="未取得医疗机构执业许可证擅自执业",
    )
    case.facts(**{"penalties": ["fine"], "fine_yuan": 20000, **facts})
    case.stage("filing", "2026-09-01")
    case.stage("investigation", "2026-09-02")
    case.stage("review", "2026-09-03")
    case.stage("notification", "2026-09-04")
    case.skip("hearing")
    case.stage("decision", decided_on)
    document = case.document(
        "decision", "penalty_decision", issued_at=at(decided_on), text=text, title="行政处罚决定书", doc_number=doc_number()
    )
    return case, document


def draft(http, case, document, **body):
    response = http.post(
        "/api/v1/publications",
        json={
            "case_id": case.id,
            "document_id": document["id"],
            "kind": "penalty",
            "severity": "ordinary",
            "other_names": [PATIENT],
            **body,
        },
    )
    return response


def published(http, approver, **fields):
    case, document = decided(http)
    pid = draft(http, case, document).json()["id"]
    if fields:
        assert http.patch(f"/api/v1/publications/{pid}", json={"fields": fields}).status_code == 200
    assert (
        http.post(f"/api/v1/publications/{pid}/notice", json={"method": "in_decision", "notified_at": at("2026-09-24")}).status_code == 200
    )
    assert approver.post(f"/api/v1/publications/{pid}/approve").status_code == 200
    assert http.post(f"/api/v1/publications/{pid}/publish").status_code == 200
    return pid


class Receiver:
    """A publication platform's receiver on 127.0.0.1: answers 500 to the first `failures` requests."""

    def __init__(self, failures: int) -> None:
        import http.server
        import threading

        received = self.received = []
        state = {"left": failures}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                received.append((dict(self.headers), body))
                status = 500 if state["left"] > 0 else 204
                state["left"] -= 1
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
