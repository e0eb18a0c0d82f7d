"""The public certificate check (`GET /api/v1/public/officers/verify`): anyone learns whether a 执法证 is valid,
suspended or revoked, and nothing else; a wrong name answers exactly as a wrong number does."""

import uuid
from datetime import timedelta

from ..support.api import assert_problem
from ..support.clock import agency_today
from ..support.inprocess import in_process


def _officer(officer_id: str, name: str, number: str, **overrides) -> dict:
    return {
        "officer_id": officer_id,
        "name": name,
        "unit": "濉溪县卫生健康委员会",
        "certificate_number": number,
        "categories": ["医疗卫生"],
        "valid_from": "2024-01-01",
        "valid_to": (agency_today() + timedelta(days=400)).isoformat(),
        **overrides,
    }


def test_a_certificate_check_answers_the_standing_and_nothing_more(inproc):
    agency = f"CK{uuid.uuid4().hex[:6]}"
    tag = uuid.uuid4().hex[:6].upper()
    numbers = {key: f"皖卫执{tag}{i}" for i, key in enumerate(("valid", "suspended", "revoked", "cancelled", "expired", "later"))}
    with inproc.client(inproc.token("admin", agency)) as admin, inproc.client() as anyone:
        for i, (key, number) in enumerate(numbers.items()):
            overrides = {}
            if key == "expired":
                overrides["valid_to"] = (agency_today() - timedelta(days=1)).isoformat()
            if key == "later":
                overrides["valid_from"] = (agency_today() + timedelta(days=10)).isoformat()
            assert admin.post("/api/v1/officers", json=_officer(f"34{i:05d}", "张三", number, **overrides)).status_code == 201
        for i, status in enumerate(("suspended", "revoked", "cancelled")):
            changed = admin.patch(f"/api/v1/officers/34{i + 1:05d}", json={"status": status, "reason": "测试"})
            assert changed.status_code == 200, changed.text

        def check(number: str, name: str = "张三"):
            answer = anyone.get("/api/v1/public/officers/verify", params={"certificate_number": number, "name": name})
            assert answer.status_code == 200, answer.text
            assert answer.headers["cache-control"] == "no-store"
            assert set(answer.json()) == {"status"}  # no name, unit, agency or term
            return answer.json()["status"]

        assert check(numbers["valid"]) == "valid"
        assert check(numbers["suspended"]) == "suspended"
        assert check(numbers["revoked"]) == "revoked"
        assert check(numbers["cancelled"]) == "unknown"  # 注销: no valid certificate, and no more said
        assert check(numbers["expired"]) == "unknown"
        assert check(numbers["later"]) == "unknown"  # not yet in force
        # Full-width digits and spaces typed by a person read as the number; the name as its characters.
        assert check(" " + numbers["valid"].replace("0", "０") + " ", " 张 三 ") == "valid"

        # A wrong name is a wrong number: the same answer, whatever the number's standing.
        wrong_number = anyone.get("/api/v1/public/officers/verify", params={"certificate_number": f"皖卫执{tag}X", "name": "张三"})
        for number in numbers.values():
            wrong_name = anyone.get("/api/v1/public/officers/verify", params={"certificate_number": number, "name": "李四"})
            assert wrong_name.status_code == wrong_number.status_code == 200
            assert wrong_name.content == wrong_number.content == b'{"status":"unknown"}'

        # Both are asked for; nothing else is; too long is refused as a problem, never a 500.
        assert_problem(anyone.get("/api/v1/public/officers/verify", params={"certificate_number": numbers["valid"]}), 422)
        assert_problem(anyone.get("/api/v1/public/officers/verify", params={"certificate_number": "x" * 65, "name": "张三"}), 422)
        assert_problem(anyone.get("/api/v1/public/officers/verify", params={"certificate_number": "1", "name": "张" * 101}), 422)


def test_the_check_spends_the_public_budget(_scratch, _template):

    with (
        in_process(
            _scratch / f"budget-{uuid.uuid4().hex[:6]}", _template, _scratch / "signing-key.pem", public_requests_per_minute=12
        ) as service,
        service.client() as anyone,
    ):
        answers = [
            anyone.get("/api/v1/public/officers/verify", params={"certificate_number": f"N{i}", "name": "张三"}).status_code
            for i in range(4)
        ]
    assert answers[:2] == [200, 200] and answers[-1] == 429  # a check costs what a search does (5 of 12 a minute)


def test_the_check_page(inproc):
    agency = f"CP{uuid.uuid4().hex[:6]}"
    number = f"皖卫执{uuid.uuid4().hex[:6]}"
    with inproc.client(inproc.token("admin", agency)) as admin, inproc.client() as anyone:
        assert admin.post("/api/v1/officers", json=_officer("3400001", "王五", number)).status_code == 201
        form = anyone.get("/public/officers/verify")
        assert form.status_code == 200 and 'id="verify-form"' in form.text and "verify-answer" not in form.text
        valid = anyone.get("/public/officers/verify", params={"certificate_number": number, "name": "王五"})
        assert 'data-status="valid"' in valid.text and "执法证有效" in valid.text
        unknown = anyone.get("/public/officers/verify", params={"certificate_number": number, "name": "王六"})
        assert 'data-status="unknown"' in unknown.text and "未查到有效的执法证" in unknown.text
        assert anyone.get("/public/officers/verify", params={"certificate_number": number, "nmae": "王五"}).status_code == 400
