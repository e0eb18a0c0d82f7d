"""A case as the case-handling system sends it."""

import uuid

from . import doc_number


def case_body(**overrides):
    body = {
        "case_number": f"濉卫医罚〔2026〕{uuid.uuid4().int % 100000}号",
        "procedure": "penalty-general",
        "title": "某诊所未取得医疗机构执业许可证擅自执业案",
        "parties": [
            {"name": "张三", "kind": "person", "id_number": "340621199001011232"},
            {"name": "某某诊所", "kind": "organization", "id_number": "91340600MA2N0ABCDT"},
        ],
        "officers": [
            {"officer_id": "3401001", "name": "李四", "certificate_number": "皖卫执证0001"},
            {"officer_id": "3401002", "name": "王五", "certificate_number": "皖卫执证0002"},
        ],
        "opened_at": "2026-11-02T09:00:00+08:00",
    }
    body.update(overrides)
    return body


OFFICERS = ["3401001", "3401002"]
DAY = "2026-11-03"


class CaseWalk:
    def __init__(self, http, procedure: str, officers=None):
        body = case_body(procedure=procedure, case_number=f"TL-{uuid.uuid4().hex[:10]}")
        if officers is not None:
            body["officers"] = officers
        response = http.post("/api/v1/cases", json=body)
        assert response.status_code == 201, response.text
        self.http, self.case = http, response.json()
        self.stages: dict[str, str] = {}

    def stage(self, code, start, end=None, officers=("3401001", "3401002"), attributes=None, docs=(), media=(), skip_note=None, day=DAY):
        body = {"stage": code, "officers": list(officers), "attributes": attributes or {}}
        if skip_note:
            body.update(skipped=True, note=skip_note)
        else:
            body["started_at"] = f"{day}T{start}:00+08:00"
        response = self.http.post(f"/api/v1/cases/{self.case['id']}/stages", json=body)
        assert response.status_code == 201, response.text
        stage_id = self.stages[code] = response.json()["id"]
        for doc_type in docs:
            doc = {
                "stage_id": stage_id,
                "doc_type": doc_type,
                "title": doc_type,
                "status": "signed",
                "doc_number": doc_number(),
                "signed_at": f"{day}T{start}:30+08:00",
                "signers": ["张三"],
            }
            assert self.http.post(f"/api/v1/cases/{self.case['id']}/documents", json=doc).status_code == 201
        for media_id, note in media:
            self.bind(code, media_id, note)
        if end and not skip_note:
            closed = self.http.patch(f"/api/v1/cases/{self.case['id']}/stages/{stage_id}", json={"ended_at": f"{day}T{end}:00+08:00"})
            assert closed.status_code == 200, closed.text
        return stage_id

    def bind(self, code, media_id, note=None):
        response = self.http.post(
            f"/api/v1/cases/{self.case['id']}/stages/{self.stages[code]}/media", json={"media_id": media_id, "note": note}
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def timeline(self):
        response = self.http.get(f"/api/v1/cases/{self.case['id']}/timeline")
        assert response.status_code == 200, response.text
        return response.json()


def at(day: str, hour: str = "10:00") -> str:
    return f"{day}T{hour}:00+08:00"


class Case:
    def __init__(self, http, procedure="penalty-general", filed="2026-08-03", **body):
        response = http.post(
            "/api/v1/cases", json=case_body(case_number=f"RV-{uuid.uuid4().hex[:10]}", procedure=procedure, opened_at=at(filed), **body)
        )
        assert response.status_code == 201, response.text
        self.http, self.case, self.stages = http, response.json(), {}
        self.id = self.case["id"]

    def stage(self, code, day, docs=(), attributes=None):
        response = self.http.post(
            f"/api/v1/cases/{self.id}/stages",
            json={"stage": code, "officers": OFFICERS, "started_at": at(day, "09:00"), "attributes": attributes or {}},
        )
        assert response.status_code == 201, response.text
        self.stages[code] = response.json()["id"]
        for doc_type, fields in docs:
            self.document(code, doc_type, **fields)
        closed = self.http.patch(f"/api/v1/cases/{self.id}/stages/{self.stages[code]}", json={"ended_at": at(day, "17:00")})
        assert closed.status_code == 200, closed.text
        return self

    def skip(self, code, note="不适用"):
        response = self.http.post(f"/api/v1/cases/{self.id}/stages", json={"stage": code, "skipped": True, "note": note})
        assert response.status_code == 201, response.text
        return self

    def document(self, code, doc_type, **fields):
        body = {
            "stage_id": self.stages[code],
            "doc_type": doc_type,
            "title": doc_type,
            "status": "issued",
            "doc_number": doc_number(),
            "signers": ["张三"],
            **fields,
        }
        response = self.http.post(f"/api/v1/cases/{self.id}/documents", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def adjust(self, **body):
        return self.http.post(f"/api/v1/cases/{self.id}/limit-adjustments", json=body)

    def facts(self, **facts):
        response = self.http.patch(f"/api/v1/cases/{self.id}", json={"facts": facts})
        assert response.status_code == 200, response.text
        return response.json()

    def timeline(self):
        response = self.http.get(f"/api/v1/cases/{self.id}/timeline")
        assert response.status_code == 200, response.text
        return response.json()

    def limit(self, rule):
        return next((d for d in self.timeline()["deadlines"] if d["rule"] == rule), None)

    def findings(self, kind=None):
        return sorted(
            (f["stage"], f.get("check") or f.get("rule") or f["kind"])
            for f in self.timeline()["completeness"]["findings"]
            if kind is None or f["kind"] == kind
        )


def decided_case(http, *, filed="2026-05-04", decided="2026-08-10", **body):
    """A general-procedure case from filing to decision (no limit but the 90 days is in play)."""
    case = Case(http, filed=filed, **body)
    case.stage("filing", filed, docs=[("case_filing_form", {"issued_at": at(filed)})])
    case.stage("investigation", filed, docs=[("onsite_record", {"issued_at": at(filed)})])
    case.stage("review", filed, docs=[("review_record", {"issued_at": at(filed)})])
    case.stage("notification", filed, docs=[("penalty_prior_notice", {"issued_at": at(filed), "status": "served", "served_at": at(filed)})])
    case.skip("hearing", "当事人未申请听证")
    case.stage("decision", decided, docs=[("penalty_decision", {"issued_at": at(decided)})])
    return case
