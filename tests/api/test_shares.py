"""对外共享 through the app in this process: what a share's input may be, who may make, read and revoke one, and what its
link answers after revocation and expiry (the shares' clock moved forward). The browser, the real bytes, the logs and the
receipt's CLI: tests/test_shares.py."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest

from ..support.api import assert_problem, create, patch
from ..support.cases import CaseWalk
from ..support.inprocess import create_person, signed_in_client

AGENCY, OTHER = "SHR1", "SHR2"


def _upload(http, data: bytes, name: str) -> str:
    location = create(http, len(data), filename=name).headers["Location"]
    answer = patch(http, location, 0, data)
    assert answer.status_code == 204, answer.text
    return answer.headers["Upload-Media-Id"]


def _case_with_footage(service, agency: str) -> tuple[dict, list[str]]:
    with service.client(service.token("dock", agency)) as dock:
        media = [_upload(dock, f"{agency}-clip-{i}-".encode() * 50, f"clip{i}.mp4") for i in range(3)]
    with service.client(service.token("case_system", agency)) as http:
        walk = CaseWalk(http, "penalty-general")
        walk.stage("filing", "08:30", "08:50", docs=["case_filing_form"])
        walk.stage("investigation", "09:00", "10:00", docs=["onsite_record"], media=[(media[0], None), (media[1], None)])
    return walk.case, media


def _later(days: float = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _body(**overrides):
    body = {
        "recipient": "张律师",
        "organisation": "安徽某某律师事务所",
        "recipient_kind": "lawyer",
        "purpose": "行政诉讼举证",
        "expires_at": _later(),
        "permission": "download",
    }
    body.update(overrides)
    return body


@pytest.fixture
def shared(inproc):
    case, media = _case_with_footage(inproc, AGENCY)
    return inproc, case, media


def test_a_share_is_made_with_its_files_and_its_token_shown_once(shared):
    service, case, media = shared
    with service.client(service.token("case_system", AGENCY)) as http:
        answer = http.post(f"/api/v1/cases/{case['id']}/shares", json=_body(access_code=True))
        assert answer.status_code == 201, answer.text
        made = answer.json()
        assert answer.headers["Cache-Control"] == "no-store"
        assert made["status"] == "active" and made["whole_case"] is True and made["access_code_required"] is True
        assert [f["media_id"] for f in made["files"]] == media[:2]  # what is bound to the case, not the third upload
        assert len(made["token"]) >= 43 and made["url"] == f"/shared/{made['token']}"  # 256 bits in URL-safe base64
        assert re.fullmatch(r"\d{8}", made["access_code"])
        listed = http.get(f"/api/v1/cases/{case['id']}/shares").json()["items"]
        assert [s["id"] for s in listed] == [made["id"]]
        assert "token" not in listed[0] and "access_code" not in listed[0]  # shown once, never again
        assert made["token"] not in http.get(f"/api/v1/shares/{made['id']}").text

    def stored(sessionmaker, store):
        from sqlalchemy import text

        async def read():
            async with sessionmaker() as session:
                return (await session.execute(text("SELECT token_sha256, access_code_hmac FROM shares"))).one()

        return read()

    digest, code_hmac = service.run(stored)
    assert digest == hashlib.sha256(made["token"].encode()).hexdigest()  # only the digest is kept
    assert made["access_code"] not in code_hmac and len(code_hmac) == 64


def test_share_input_is_checked(shared):
    service, case, media = shared
    url = f"/api/v1/cases/{case['id']}/shares"
    with service.client(service.token("case_system", AGENCY)) as http:
        assert_problem(http.post(url, json=_body(surprise=1)), 422, "validation-error")  # unknown field refused
        assert_problem(http.post(url, json=_body(recipient="  ")), 422, "validation-error")
        assert_problem(http.post(url, json=_body(permission="edit")), 422, "validation-error")
        assert_problem(http.post(url, json=_body(recipient_kind="friend")), 422, "validation-error")
        body = _body()
        del body["expires_at"]
        assert_problem(http.post(url, json=body), 422, "validation-error")  # an expiry is required
        assert_problem(http.post(url, json=_body(expires_at="2026-12-01T10:00:00")), 400, "invalid-time")
        assert_problem(http.post(url, json=_body(expires_at=_later(-1))), 422, "share-expiry-past")
        assert_problem(http.post(url, json=_body(expires_at=_later(91))), 422, "share-expiry-too-far")
        assert http.post(url, json=_body(expires_at=_later(89.9))).status_code == 201
        # Footage of the agency that is not bound to this case, and footage of another case, are refused by id.
        assert_problem(http.post(url, json=_body(media_ids=[media[2]])), 422, "share-media-not-in-case")
        assert_problem(http.post(url, json=_body(media_ids=[media[0], media[0]])), 422, "validation-error")
        assert_problem(http.post(url, json=_body(media_ids=[])), 422, "validation-error")
        chosen = http.post(url, json=_body(media_ids=[media[1]]))
        assert chosen.status_code == 201 and [f["media_id"] for f in chosen.json()["files"]] == [media[1]]
        assert chosen.json()["whole_case"] is False
        assert_problem(http.get(f"{url}?status=active"), 400, "unknown-parameter")
    other_case, other_media = _case_with_footage(service, OTHER)
    with service.client(service.token("case_system", AGENCY)) as http:
        assert_problem(http.post(url, json=_body(media_ids=[other_media[0]])), 422, "share-media-not-in-case")
        # Another agency's case: not found, as every case of another agency.
        assert_problem(http.post(f"/api/v1/cases/{other_case['id']}/shares", json=_body()), 404, "case-not-found")
        assert_problem(http.get(f"/api/v1/cases/{other_case['id']}/shares"), 404, "case-not-found")


def test_who_may_share_read_and_revoke(shared):
    service, case, media = shared
    url = f"/api/v1/cases/{case['id']}/shares"
    with service.client(service.token("admin", AGENCY)) as admin:
        made = admin.post(url, json=_body()).json()
    # Supervisors read what was shared and how it was used, but may not share or revoke (a role doing more than its name).
    with service.client(service.token("auditor", AGENCY)) as auditor:
        assert auditor.get(url).status_code == 200
        assert auditor.get(f"/api/v1/shares/{made['id']}").status_code == 200
        assert_problem(auditor.post(url, json=_body()), 403, "forbidden-role")
        assert_problem(auditor.post(f"/api/v1/shares/{made['id']}/revoke", json={"reason": "x"}), 403, "forbidden-role")
    for role in ("reviewer", "dock"):
        with service.client(service.token(role, AGENCY)) as other:
            assert_problem(other.post(url, json=_body()), 403, "forbidden-role")
            assert_problem(other.get(url), 403, "forbidden-role")
            assert_problem(other.post(f"/api/v1/shares/{made['id']}/revoke", json={"reason": "x"}), 403, "forbidden-role")
    # The case system of another agency neither sees nor revokes this agency's share.
    with service.client(service.token("case_system", OTHER)) as stranger:
        assert_problem(stranger.get(f"/api/v1/shares/{made['id']}"), 404, "share-not-found")
        assert_problem(stranger.post(f"/api/v1/shares/{made['id']}/revoke", json={"reason": "x"}), 404, "share-not-found")
    with service.client(service.token("case_system", AGENCY)) as http:
        assert_problem(http.post(f"/api/v1/shares/{made['id']}/revoke", json={}), 422, "validation-error")  # a reason is required
        revoked = http.post(f"/api/v1/shares/{made['id']}/revoke", json={"reason": "诉讼已撤回"})
        assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
        assert revoked.json()["revoke_reason"] == "诉讼已撤回" and revoked.json()["revoked_at"]
        assert_problem(http.post(f"/api/v1/shares/{made['id']}/revoke", json={"reason": "again"}), 409, "share-revoked")
    with service.client(service.token("auditor", AGENCY)) as auditor:
        events = auditor.get("/api/v1/audit/events", params={"case_id": case["id"]}).json()["items"]
        actions = [e["action"] for e in events]
        assert "share.created" in actions and "share.revoked" in actions


def test_the_link_answers_410_after_revocation_and_expiry_and_404_for_nothing(shared, monkeypatch):
    from recording_service.shares import service as shares

    service, case, media = shared
    url = f"/api/v1/cases/{case['id']}/shares"
    with service.client(service.token("case_system", AGENCY)) as http:
        soon = http.post(url, json=_body(expires_at=(datetime.now(UTC) + timedelta(minutes=2)).isoformat())).json()
        revoked = http.post(url, json=_body()).json()
        assert http.post(f"/api/v1/shares/{revoked['id']}/revoke", json={"reason": "误发"}).status_code == 200
    with service.client() as outside:
        page = outside.get(soon["url"])
        assert page.status_code == 200 and case["case_number"] in page.text
        assert page.headers["Referrer-Policy"] == "no-referrer" and "noindex" in page.headers["X-Robots-Tag"]
        assert "no-store" in page.headers["Cache-Control"]
        gone = outside.get(revoked["url"])
        assert gone.status_code == 410 and "已撤销" in gone.text and case["case_number"] not in gone.text
        assert_problem(outside.get(revoked["url"], headers={"Accept": "application/json"}), 410, "share-revoked")
        assert outside.get(f"{revoked['url']}/files/{media[0]}").status_code == 410
        unknown = outside.get("/shared/" + "A" * 43)
        assert unknown.status_code == 404 and "链接无效" in unknown.text
        # The shares' clock three minutes on: the near expiry has passed.
        later = datetime.now(UTC) + timedelta(minutes=3)
        monkeypatch.setattr(shares, "now", lambda: later)
        expired = outside.get(soon["url"])
        assert expired.status_code == 410 and "已过期" in expired.text
        assert outside.get(f"{soon['url']}/receipt").status_code == 410
    with service.client(service.token("auditor", AGENCY)) as auditor:
        statuses = {s["id"]: s["status"] for s in auditor.get(url).json()["items"]}
        assert statuses == {soon["id"]: "expired", revoked["id"]: "revoked"}


def test_a_link_reaches_its_own_files_only(shared):
    service, case, media = shared
    other_case, other_media = _case_with_footage(service, OTHER)
    with service.client(service.token("case_system", AGENCY)) as http:
        view_only = http.post(f"/api/v1/cases/{case['id']}/shares", json=_body(permission="view", media_ids=[media[0]])).json()
        second = http.post(f"/api/v1/cases/{case['id']}/shares", json=_body(media_ids=[media[1]])).json()
    with service.client() as outside:
        base = view_only["url"]
        assert outside.get(f"{base}/files/{media[0]}").status_code == 200
        # Guessed ids: this case's footage outside the share, footage not bound, another agency's, another case's.
        for guessed in (media[1], media[2], other_media[0], other_case["id"], "../" + media[1]):
            assert outside.get(f"{base}/files/{guessed}").status_code == 404, guessed
        assert outside.get(f"{base}/files/{media[0]}/download").status_code == 403  # view only
        assert outside.get(f"{second['url']}/files/{media[1]}/download").status_code == 200
        assert outside.get(f"{second['url']}/files/{media[0]}/download").status_code == 404
        assert outside.get(f"{base}?case_id={other_case['id']}").status_code == 400
        page = outside.get(base).text
        assert media[1] not in page and other_case["case_number"] not in page


def test_the_access_code_opens_the_share_and_wrong_codes_are_throttled(shared):
    service, case, media = shared
    with service.client(service.token("case_system", AGENCY)) as http:
        made = http.post(f"/api/v1/cases/{case['id']}/shares", json=_body(access_code=True)).json()
    with service.client() as outside:
        asked = outside.get(made["url"])
        assert asked.status_code == 200 and "请输入访问码" in asked.text and case["case_number"] not in asked.text
        assert outside.get(f"{made['url']}/files/{media[0]}").status_code == 404  # nothing without the code
        wrong = "00000000" if made["access_code"] != "00000000" else "11111111"
        answers = [outside.post(made["url"], data={"code": wrong}).status_code for _ in range(7)]
        assert answers[:5] == [403] * 5 and 429 in answers[5:]  # after five wrong codes, a wait
    with service.client() as fresh:
        # The share's own count holds whoever asks next, even with the right code, until the wait has run.
        assert fresh.post(made["url"], data={"code": made["access_code"]}).status_code == 429


def test_the_right_code_opens_the_share(shared):
    service, case, media = shared
    with service.client(service.token("case_system", AGENCY)) as http:
        made = http.post(f"/api/v1/cases/{case['id']}/shares", json=_body(access_code=True)).json()
    with service.client() as outside:
        opened = outside.post(made["url"], data={"code": made["access_code"]})
        assert opened.status_code == 303 and "rs_share=" in opened.headers["set-cookie"]
        page = outside.get(made["url"])
        assert page.status_code == 200 and case["case_number"] in page.text
        assert outside.get(f"{made['url']}/files/{media[0]}").status_code == 200
    with service.client() as stranger:  # another browser without the code
        assert "请输入访问码" in stranger.get(made["url"]).text


def test_the_case_page_lists_shares_and_revokes_with_a_reason(shared):
    service, case, media = shared
    create_person(service, "shareadmin", "admin", AGENCY, "钱管理")
    create_person(service, "shareauditor", "auditor", AGENCY, "孙监督")
    with service.client(service.token("case_system", AGENCY)) as http:
        made = http.post(f"/api/v1/cases/{case['id']}/shares", json=_body()).json()
    with service.client() as outside:
        outside.get(made["url"])
    with signed_in_client(service, "shareauditor") as auditor:
        page = auditor.get(f"/cases/{case['id']}").text
        assert "对外共享" in page and "张律师" in page and "有效" in page
        assert "share-revoke" not in page and "share-form" not in page  # read only
    with signed_in_client(service, "shareadmin") as admin:
        page = admin.get(f"/cases/{case['id']}").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert 'id="share-form"' in page
        refused = admin.post(f"/cases/{case['id']}/shares/{made['id']}/revoke", data={"csrf_token": token, "reason": " "})
        assert refused.status_code == 303
        done = admin.post(f"/cases/{case['id']}/shares/{made['id']}/revoke", data={"csrf_token": token, "reason": "复议已终止"})
        assert done.status_code == 303
        page = admin.get(f"/cases/{case['id']}").text
        assert "已撤销" in page and "复议已终止" in page
        created = admin.post(
            f"/cases/{case['id']}/shares",
            data={
                "csrf_token": token,
                "recipient": "王法官",
                "organisation": "某某区人民法院",
                "recipient_kind": "court",
                "purpose": "行政诉讼",
                "expires_on": (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%d"),
                "permission": "view",
                "access_code": "on",
            },
        )
        assert created.status_code == 200 and "/shared/" in created.text and "共享链接已生成" in created.text
        link = re.search(r'<code class="share-link">[^<]*(/shared/[^<]+)</code>', created.text).group(1)
    with service.client() as outside:
        assert "请输入访问码" in outside.get(link).text
        assert outside.get(made["url"]).status_code == 410
