"""The pages, driven in Debian's Chromium by Playwright, against the real service on both legs.

Screenshots of the main pages go to RS_SCREENSHOT_DIR (`make screenshots` points it at docs/screenshots).
"""

import hashlib
import io
import re
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from .support import VIEWPORT
from .support.cases import DAY, CaseWalk
from .support.clock import agency_today
from .support.media import upload_bytes
from .support.servers import BIN, ServiceProcess
from .support.web import PASSWORD, create_person, shots, sign_in, signed_in_client, wait_until

AGENCY = "WEB1"
OTHER_AGENCY = "WEB2"


@pytest.fixture(scope="module")
def people(leg):
    suffix = uuid.uuid4().hex[:6]
    names = {
        "auditor": f"auditor{suffix}",
        "reviewer": f"reviewer{suffix}",
        "other": f"other{suffix}",
        "second": f"second{suffix}",
        "locked": f"locked{suffix}",
    }
    create_person(leg, names["auditor"], "auditor", AGENCY, "赵监督")
    create_person(leg, names["reviewer"], "reviewer", AGENCY, "钱评查")
    create_person(leg, names["other"], "auditor", OTHER_AGENCY, "孙外单位")
    create_person(leg, names["second"], "auditor", AGENCY, "李同事")
    create_person(leg, names["locked"], "reviewer", AGENCY, "周锁定")
    return names


@pytest.fixture(scope="module")
def review_case(leg, clips):
    """A 行政处罚 case with two investigation clips of one camera 100 s apart (a continuity gap), a missing
    合议记录 and footage long enough to seek in (moov at the end, so the player must ask for later ranges)."""
    with leg.client(leg.token("dock", AGENCY)) as dock:
        media = {}
        recorded_at = f"{DAY}T09:30:00+08:00"
        clip = hevc_clip(leg.workdir, recorded_at)
        media["hevc"] = upload_bytes(
            dock, clip.read_bytes(), device_id="CAM-H", officer_ids="3401001", recorded_at=recorded_at, filename="hevc.mp4"
        )
        for name, recorded_at in (("web-inv1", f"{DAY}T09:10:00+08:00"), ("web-inv2", f"{DAY}T09:12:00+08:00")):
            clip = clips(f"{name}.mp4", seconds=20, size="640x360", creation_time=recorded_at, noise=True)
            media[name] = upload_bytes(
                dock, clip.read_bytes(), device_id="CAM-W", officer_ids="3401001,3401002", recorded_at=recorded_at, filename=f"{name}.mp4"
            )
    with leg.client(leg.token("case_system", AGENCY)) as http:
        walk = CaseWalk(http, "coercion-seizure")
        walk.stage("approval", "08:30", "08:50", docs=["coercion_approval"])
        walk.stage(
            "implementation",
            "09:05",
            "10:00",
            docs=["seizure_decision", "item_list"],
            media=[(media["web-inv1"], "现场检查开始"), (media["hevc"], "H.265 执法记录仪")],
        )
        # The second clip is bound from 8 s in: the player starts there and the page says so.
        bound = http.post(
            f"/api/v1/cases/{walk.case['id']}/stages/{walk.stages['implementation']}/media",
            json={"media_id": media["web-inv2"], "start_offset_s": 8, "end_offset_s": 20},
        )
        assert bound.status_code == 201, bound.text
    return {"case": walk.case, "media": media}


def hevc_clip(directory: Path, recorded_at: str) -> Path:
    """What newer body cameras record: H.265 in MP4, which Debian's Chromium cannot decode."""
    path = directory / "hevc.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=640x360:rate=25:duration=6",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=6",
            "-c:a",
            "aac",
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-tag:v",
            "hvc1",
            "-pix_fmt",
            "yuv420p",
            "-metadata",
            f"creation_time={recorded_at}",
            str(path),
        ],
        check=True,
        timeout=300,
    )
    return path


def wait_for_copy(http: httpx.Client, media_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        copy = http.get(f"/api/v1/media/{media_id}").json()["playback_copy"]
        if copy and copy["status"] != "pending":
            return copy
        assert time.monotonic() < deadline, f"playback copy of {media_id} still pending after {timeout} s"
        time.sleep(0.5)


def audit_events(leg, **params) -> list[dict]:
    events, cursor = [], None
    with leg.client(leg.token("auditor", AGENCY)) as http:
        while True:
            page = http.get("/api/v1/audit/events", params={"limit": 500, **params, **({"cursor": cursor} if cursor else {})})
            assert page.status_code == 200, page.text
            events += page.json()["items"]
            cursor = page.json()["next_cursor"]
            if not cursor:
                return events


def test_auditor_reviews_a_case_plays_footage_holds_and_exports(leg, page: Page, people, review_case, tmp_path):
    case = review_case["case"]
    screenshots = leg.name == "sqlite-fs"
    page.goto(leg.url + "/cases")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fcases$"))
    if screenshots:
        page.screenshot(path=str(shots() / "login.png"))
    sign_in(page, leg.url, people["auditor"])
    expect(page).to_have_url(re.compile(r"/cases$"))
    expect(page.locator("header .who")).to_contain_text("赵监督")

    # 案件查询: by 案号, and by a party's name
    page.fill("input[name=q]", case["case_number"])
    page.click("form.filters button[type=submit]")
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    page.fill("input[name=q]", "某某诊所")
    page.click("form.filters button[type=submit]")
    expect(page.locator(f"text={case['case_number']}")).to_be_visible()  # (its screenshot: tests/test_case_list.py)
    page.click(f"text={case['case_number']}")
    expect(page).to_have_url(re.compile(f"/cases/{case['id']}$"))

    # The banner counts the findings and links each to its stage; the gap is drawn between the clips.
    banner = page.locator("#findings")
    expect(banner).to_contain_text("发现")
    expect(banner.locator("a[href='#stage-implementation']")).to_have_count(2)  # the gap and the missing 现场笔录
    expect(banner).to_contain_text("录像中断")
    gap = page.locator("#stage-implementation .gap.unexplained")
    expect(gap).to_have_count(1)
    expect(gap).to_contain_text("CAM-W")
    expect(page.locator("#stage-implementation .clip")).to_have_count(3)
    expect(page.locator("text=皖卫执证0001").first).to_be_visible()
    expect(page.locator("text=340621199001011232")).to_have_count(1)  # an auditor sees party id numbers
    if screenshots:
        page.screenshot(path=str(shots() / "case.png"), full_page=True)

    # Play and seek: the element's clock advances, and a Range request for a later offset reached the server.
    ranges: list[tuple[str, int, str]] = []
    page.on("response", lambda r: ranges.append((r.request.headers.get("range", ""), r.status, r.url)) if "/play/" in r.url else None)
    page.locator("#stage-implementation .clip").first.locator("button.play").click()
    wait_until(page, "document.getElementById('player').currentTime > 0.5")
    page.evaluate("document.getElementById('player').currentTime = 15")
    wait_until(page, "document.getElementById('player').currentTime > 15.3")
    expect(page.locator("#player-caption")).to_contain_text("实施")
    expect(page.locator("#player-clock")).to_contain_text(f"{DAY} 09:10:1")
    later = [(r, s) for r, s, _ in ranges if r.startswith("bytes=") and int(r[6:].split("-")[0] or 0) > 0]
    assert later and all(s == 206 for _, s in later), ranges
    if screenshots:
        page.screenshot(path=str(shots() / "case-playing.png"))
    grants = [e for e in audit_events(leg, action="media.playback.granted") if e["media_id"] == review_case["media"]["web-inv1"]]
    assert grants and grants[-1]["actor"]["name"] == f"赵监督 ({people['auditor']})" and grants[-1]["actor"]["role"] == "auditor"
    assert grants[-1]["actor"]["token_id"] is None and grants[-1]["actor"]["user_id"]
    reads = [e for e in audit_events(leg, action="timeline.read", case_id=case["id"]) if e["payload"].get("via") == "page"]
    assert reads and reads[-1]["actor"]["name"].startswith("赵监督")
    # A bound segment: playback starts at its start, and the clock shows the time on scene.
    segment = page.locator("#stage-implementation .clip", has_text="09:12:08")
    expect(segment).to_contain_text("第 8.0 秒起")
    segment.locator("button.play").click()
    wait_until(page, "document.getElementById('player').currentTime >= 8.5")
    expect(page.locator("#player-clock")).to_contain_text(f"{DAY} 09:12:0")
    play_url = page.evaluate("document.getElementById('player').src")
    assert "/play/" in play_url and "token" not in play_url and PASSWORD not in play_url

    # Place and lift a hold, each with a reason.
    page.fill("#place-hold input[name=reason]", "当事人申请行政复议")
    page.click("#place-hold button[type=submit]")
    expect(page.locator("#holds .hold")).to_contain_text("当事人申请行政复议")
    with leg.client(leg.token("auditor", AGENCY)) as http:
        held = [h for h in http.get("/api/v1/holds").json() if h["case_id"] == case["id"]]
    assert len(held) == 1 and held[0]["placed_by"] == grants[-1]["actor"]["user_id"]
    page.fill("#holds .hold input[name=reason]", "复议终结")
    page.click("#holds .hold button[type=submit]")
    expect(page.locator("#holds .hold")).to_have_count(0)
    lifted = [e for e in audit_events(leg, action="hold.lifted", case_id=case["id"])]
    assert lifted and lifted[-1]["payload"]["reason"] == "复议终结" and lifted[-1]["actor"]["name"].startswith("赵监督")

    # Download the case file from the page and verify it offline.
    with page.expect_download() as download:
        page.click("text=下载案卷（BagIt）")
    bag = tmp_path / "case.zip"
    download.value.save_as(bag)
    verified = subprocess.run(
        [str(BIN / "recording-service"), "verify-export", str(bag)],
        capture_output=True,
        text=True,
        cwd=leg.workdir,
        env=leg.service.env,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    exported = audit_events(leg, action="case.exported", case_id=case["id"])
    assert exported and exported[-1]["actor"]["name"].startswith("赵监督")

    # The print stylesheet: a review sheet without the player and the forms.
    page.emulate_media(media="print")
    expect(page.locator("#player-panel")).to_be_hidden()
    expect(page.locator(".print-head")).to_be_visible()
    if screenshots:
        page.screenshot(path=str(shots() / "case-print.png"), full_page=True)
        page.pdf(path=str(shots() / "case-print.pdf"), format="A4")
    page.emulate_media(media="screen")

    # One footage item, and the case's audit trail with the chain's verdict and a CSV.
    page.goto(leg.url + f"/footage/{review_case['media']['web-inv1']}")
    expect(page.locator("h1")).to_contain_text("web-inv1.mp4")
    expect(page.locator("text=CAM-W").first).to_be_visible()
    expect(page.locator("table.audit")).to_contain_text("播放音像")
    if screenshots:
        page.screenshot(path=str(shots() / "footage.png"), full_page=True)
    page.goto(leg.url + f"/cases/{case['id']}/audit")
    expect(page.locator(".banner.good")).to_contain_text("审计链校验通过")
    expect(page.locator("table.audit")).to_contain_text("设置保全")
    expect(page.locator("table.audit")).to_contain_text("赵监督")
    if screenshots:
        page.screenshot(path=str(shots() / "audit.png"))
    with page.expect_download() as download:
        page.click("text=下载 CSV")
    text = Path(download.value.path()).read_bytes().decode("utf-8")
    assert text.startswith("\ufeff序号,时间,操作") and "hold.placed" in text and "media.playback.granted" in text

    # Sign out: the session is gone, the pages ask for sign-in again.
    page.goto(leg.url + f"/cases/{case['id']}")
    page.click("header form[action='/logout'] button")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(leg.url + f"/cases/{case['id']}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert audit_events(leg, action="user.signed_out")


def test_h265_footage_plays_from_its_playback_copy(leg, page: Page, people, review_case):
    hevc = review_case["media"]["hevc"]
    with leg.client(leg.token("auditor", AGENCY)) as http:
        original = http.get(f"/api/v1/media/{hevc}").json()
        assert original["video"]["codec"] == "hevc"
        copy = wait_for_copy(http, hevc)
        assert copy["status"] == "ready", copy
        assert copy["original_sha256"] == original["sha256"] and copy["sha256"] != original["sha256"]
        # The original is untouched: its content is still the uploaded bytes under its own digest.
        content = http.get(f"/api/v1/media/{hevc}/content")
        assert content.status_code == 200 and hashlib.sha256(content.content).hexdigest() == original["sha256"]
    made = [e for e in audit_events(leg, action="media.playback_copy_made") if e["media_id"] == hevc]
    assert len(made) == 1 and made[0]["payload"]["copy_sha256"] == copy["sha256"]

    sign_in(page, leg.url, people["auditor"], target=f"/cases/{review_case['case']['id']}")
    clip = page.locator("#stage-implementation .clip", has_text="CAM-H")
    expect(clip).to_contain_text("播放副本已生成")
    served: list = []
    page.on("response", lambda r: served.append(r) if "/play/" in r.url else None)
    clip.locator("button.play").click()
    wait_until(page, "document.getElementById('player').currentTime > 1")
    expect(page.locator("#player-caption")).to_contain_text("转码副本")
    assert served and all("src=playback_copy" in r.url for r in served)
    assert served[0].headers["etag"] == f'"{copy["sha256"]}"'  # the copy's own digest, never passed off as the original's
    size = page.evaluate("[document.getElementById('player').videoWidth, document.getElementById('player').videoHeight]")
    assert size == [640, 360]
    grants = [e for e in audit_events(leg, action="media.playback.granted") if e["media_id"] == hevc]
    assert grants[-1]["payload"]["source"] == "playback_copy"


def test_play_links_are_bound_to_the_person_and_expire(leg, browser, people, review_case):
    """A second instance with 3-second grants and a 6-second idle limit, on the same database and store."""
    env = {**leg.service.env, "RECORDING_PLAYBACK_GRANT_MINUTES": "0.05", "RECORDING_SESSION_IDLE_MINUTES": "0.1"}
    short = ServiceProcess(env, leg.workdir).start()
    try:
        mine = browser.new_context(viewport=VIEWPORT)
        theirs = browser.new_context(viewport=VIEWPORT)
        page, other = mine.new_page(), theirs.new_page()
        sign_in(page, short.base_url, people["auditor"], target=f"/footage/{review_case['media']['web-inv2']}")
        sign_in(other, short.base_url, people["second"], target="/cases")
        expect(page.locator("h1")).to_contain_text("web-inv2.mp4")
        page.click("aside button.play")
        wait_until(page, "document.getElementById('player').src.includes('/play/')")
        url = page.evaluate("document.getElementById('player').src")
        assert page.request.get(url, headers={"Range": "bytes=0-99"}).status == 206
        assert other.request.get(url, headers={"Range": "bytes=0-99"}).status == 403  # a colleague of the same agency
        assert httpx.get(url, headers={"Range": "bytes=0-99"}).status_code == 403  # no session at all
        forged = re.sub(r"exp=(\d+)", lambda m: f"exp={int(m.group(1)) + 3600}", url)
        assert page.request.get(forged).status == 403
        # In use, a session outlives its idle limit (6 s here); the play link does not outlive its 3 s.
        for _ in range(4):
            time.sleep(2)
            assert page.request.get(short.base_url + "/cases", max_redirects=0).status == 200
        expired = page.request.get(url, headers={"Range": "bytes=0-99"})
        assert expired.status == 403 and expired.headers["content-type"].startswith("text/html")
        # Idle for longer than the limit: the session has ended.
        time.sleep(7)
        page.goto(short.base_url + "/cases")
        expect(page).to_have_url(re.compile(r"/login\?next="))
        mine.close()
        theirs.close()
    finally:
        short.stop()


def test_another_agency_and_a_reviewer_see_what_their_roles_allow(leg, browser, people, review_case):
    case = review_case["case"]
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    sign_in(page, leg.url, people["other"])
    response = page.goto(leg.url + f"/cases/{case['id']}")
    assert response.status == 404
    expect(page.locator("h1")).to_contain_text("没有找到")
    assert page.goto(leg.url + f"/footage/{review_case['media']['web-inv1']}").status == 404
    context.close()

    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    sign_in(page, leg.url, people["reviewer"], target=f"/cases/{case['id']}")
    expect(page.locator("#findings")).to_be_visible()
    expect(page.locator("text=340621199001011232")).to_have_count(0)  # id numbers are not a reviewer's to see
    expect(page.locator("#place-hold")).to_have_count(0)
    assert page.goto(leg.url + f"/cases/{case['id']}/audit").status == 403
    page.goto(leg.url + f"/cases/{case['id']}")
    csrf = page.locator("meta[name=csrf-token]").get_attribute("content")
    refused = page.request.post(leg.url + f"/cases/{case['id']}/holds", form={"csrf_token": csrf, "reason": "评查员不能设置保全"})
    assert refused.status == 403
    context.close()


def test_a_form_without_the_csrf_token_is_refused(leg, browser, people, review_case):
    case = review_case["case"]
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    sign_in(page, leg.url, people["auditor"], target=f"/cases/{case['id']}")
    expect(page.locator("#place-hold")).to_be_visible()
    before = len(audit_events(leg, action="hold.placed", case_id=case["id"]))
    for form in ({"reason": "没有令牌"}, {"reason": "错误令牌", "csrf_token": "x" * 43}):
        refused = page.request.post(leg.url + f"/cases/{case['id']}/holds", form=form)
        assert refused.status == 403 and "安全校验未通过" in refused.text()
    play = page.request.post(leg.url + f"/footage/{review_case['media']['web-inv1']}/play")
    assert play.status == 403
    assert len(audit_events(leg, action="hold.placed", case_id=case["id"])) == before
    # The sign-in form has its own token (there is no session yet).
    fresh = browser.new_context()
    assert fresh.request.post(leg.url + "/login", form={"username": people["auditor"], "password": PASSWORD}).status == 403
    fresh.close()
    context.close()


def test_wrong_passwords_make_the_browser_wait_and_a_reset_ends_it(leg, browser, people):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    username = people["locked"]
    for attempt in range(5):
        sign_in(page, leg.url, username, password=f"wrong-password-{attempt}")
        expect(page.locator(".alert.bad")).to_contain_text("用户名或密码错误")
    sign_in(page, leg.url, username)  # the right password waits too, where the failures came from
    expect(page.locator(".alert.bad")).to_contain_text("登录尝试过于频繁")
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "login-wait.png"))
    events = [e for e in audit_events(leg) if e["payload"].get("username") == username]
    assert [e["action"] for e in events].count("user.sign_in_failed") == 5
    assert [e["action"] for e in events][-1] == "user.sign_in_throttled"
    # An administrator resets the password; the account opens with the new one, never the old.
    reset = leg.service.cli("user", "reset-password", username, "--password-stdin", input="新的密码-足够长了-2026\n", check=False)
    assert reset.returncode == 0, reset.stderr
    sign_in(page, leg.url, username, password="新的密码-足够长了-2026")
    expect(page).to_have_url(re.compile(r"/cases$"))
    cookie = next(c for c in context.cookies() if c["name"] == "rs_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]  # plain http here
    context.close()


def test_sign_in_never_sends_anyone_elsewhere_and_passwords_stay_out_of_logs(leg, browser, people):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(leg.url + "/login?next=//evil.example/steal")
    page.fill("input[name=username]", people["reviewer"])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"^" + re.escape(leg.url) + r"/cases$"))
    context.close()
    log = (leg.workdir / "service.log").read_text(errors="replace")
    assert PASSWORD not in log and "rs_session" not in log


def test_pages_answer_bad_input_with_a_page_never_a_500(leg, people, review_case):
    case_id = review_case["case"]["id"]
    with signed_in_client(leg.url, people["auditor"]) as http:
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', http.get(f"/cases/{case_id}").text).group(1)
        for path, params, status in (
            ("/cases", {"opened_from": "2026-13-45"}, 400),
            ("/cases", {"cursor": "forged"}, 400),
            ("/cases", {"q": "x" * 5000}, 422),
            ("/cases", {"case_number": "\u200b"}, 400),
            ("/cases/not-a-case", {}, 404),
            (f"/cases/{case_id}/audit", {"cursor": "%%%"}, 400),
            ("/footage/nothing", {}, 404),
            ("/no/such/page", {}, 404),
            (f"/play/x/{review_case['media']['web-inv1']}", {"u": "u", "exp": "not-a-number", "sig": "s"}, 403),
        ):
            answer = http.get(path, params=params)
            assert answer.status_code == status, (path, params, answer.status_code, answer.text[:200])
            assert answer.headers["content-type"].startswith("text/html") and "<h1>" in answer.text, path
        # What is typed comes back escaped, never as markup.
        echoed = http.get("/cases", params={"q": "<script>alert(1)</script>"})
        assert echoed.status_code == 200 and "<script>alert" not in echoed.text and "&lt;script&gt;" in echoed.text
        for form in ({"csrf_token": csrf, "reason": "   "}, {"csrf_token": csrf, "reason": "x" * 3000}):
            refused = http.post(f"/cases/{case_id}/holds", data=form)
            assert refused.status_code == 422 and refused.headers["content-type"].startswith("text/html")
        assert http.post(f"/cases/{case_id}/holds/not-a-hold/lift", data={"csrf_token": csrf, "reason": "r"}).status_code == 404
        assert http.post("/cases/not-a-case/holds", data={"csrf_token": csrf, "reason": "r"}).status_code == 404
        # The API keeps answering problems, not pages.
        api = http.get("/api/v1/cases/not-a-case")
        assert api.status_code == 401 and api.headers["content-type"] == "application/problem+json"
        page = http.get(f"/cases/{case_id}")
        assert page.headers["content-security-policy"].startswith("default-src 'self'") and page.headers["cache-control"] == "no-store"
    with httpx.Client(base_url=leg.url, timeout=60) as anonymous:
        assert anonymous.get("/cases").status_code == 303
        assert anonymous.post(f"/cases/{case_id}/holds", data={"reason": "r"}).status_code == 401
        huge = anonymous.post("/login", data={"username": "u", "password": "p" * 5000, "csrf_token": "t"})
        assert huge.status_code in (403, 422)
        assert anonymous.get("/").headers["location"] == "/login"


def test_a_disabled_person_is_signed_out_at_once_and_cannot_sign_in(leg, review_case):
    username = f"leaver{uuid.uuid4().hex[:6]}"
    create_person(leg, username, "reviewer", AGENCY, "吴离职")
    refused = leg.service.cli(
        "user",
        "create",
        "--username",
        "x" + username,
        "--role",
        "dock",
        "--agency",
        AGENCY,
        "--password-stdin",
        input=PASSWORD + "\n",
        check=False,
    )
    assert refused.returncode == 1 and "machine" in refused.stderr  # people are not docks
    with signed_in_client(leg.url, username) as http:
        assert http.get(f"/cases/{review_case['case']['id']}").status_code == 200
        disabled = leg.service.cli("user", "disable", username, check=False)
        assert disabled.returncode == 0, disabled.stderr
        assert http.get(f"/cases/{review_case['case']['id']}").status_code == 303  # back to the sign-in form
    with httpx.Client(base_url=leg.url, timeout=60) as browser:
        token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text).group(1)
        again = browser.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
        assert again.status_code == 401 and "rs_session" not in browser.cookies
    events = [e for e in audit_events(leg, action="user.disabled") if e["payload"]["username"] == username]
    assert events and events[-1]["payload"]["sessions_ended"] == 1


def test_the_register_is_kept_in_the_pages_and_published(leg, page: Page, tmp_path):
    agency = f"REG{uuid.uuid4().hex[:5]}"
    admin = f"admin{uuid.uuid4().hex[:6]}"
    create_person(leg, admin, "admin", agency, "孙管理")
    sign_in(page, leg.url, admin, target="/officers")
    expect(page.locator("h1")).to_contain_text("执法人员资格清单")
    soon = (agency_today() + timedelta(days=20)).isoformat()
    form = page.locator("#add-officer")
    for field, value in (
        ("officer_id", "3409001"),
        ("name", "周执法"),
        ("unit", "某县卫生健康委员会"),
        ("certificate_number", "皖卫执3409001"),
        ("categories", "医疗卫生、公共场所卫生"),
        ("regions", "某县"),
        ("valid_from", "2024-01-01"),
        ("valid_to", soon),
    ):
        form.locator(f"input[name={field}]").fill(value)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/officers/3409001$"))
    # Suspending needs a reason; with one, the history shows it.
    page.select_option("#change-status select[name=status]", "suspended")
    page.click("#change-status button[type=submit]")
    expect(page.locator("h1")).to_contain_text("提交的内容")  # 422 page: no reason given
    page.go_back()
    page.select_option("#change-status select[name=status]", "suspended")
    page.fill("#change-status input[name=reason]", "涉嫌违纪")
    page.click("#change-status button[type=submit]")
    expect(page.locator("table.list")).to_contain_text("涉嫌违纪")
    page.select_option("#change-status select[name=status]", "valid")
    page.click("#change-status button[type=submit]")

    sheet = tmp_path / "清单.csv"
    sheet.write_text(
        "执法人员编号,姓名,单位,执法证号,执法类别,执法区域,有效期起,有效期止,状态\n"
        "3409002,吴执法,某县卫生健康委员会,皖卫执3409002,医疗卫生,某县,2024-01-01,2028-12-31,有效\n"
        "3409003,郑执法,某县卫生健康委员会,皖卫执3409003,职业卫生,某县,2024-01-01,2028-12-31,吊销\n",
        encoding="utf-8",
    )
    page.goto(leg.url + "/officers")
    page.set_input_files("#import-officers input[type=file]", str(sheet))
    page.click("#import-officers button[type=submit]")
    expect(page.locator(".banner.good")).to_contain_text("新增 2")
    expect(page.locator(".banner.warn")).to_contain_text("周执法")  # expiring within 60 days
    expect(page.locator("table.list tbody tr")).to_have_count(3)
    # By unit, then name in 汉语拼音 (wú zhèng zhōu), not by code point (吴 周 郑) nor by number; by number when asked.
    names = page.locator("table.list tbody tr td:nth-child(2)")
    expect(names).to_have_text(["吴执法", "郑执法", "周执法"])
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "officers.png"), full_page=True)
    page.select_option("#officer-filter select[name=sort]", "officer_id")
    page.click("#officer-filter button[type=submit]")
    expect(names).to_have_text(["周执法", "吴执法", "郑执法"])

    public = page.context.browser.new_page(viewport=VIEWPORT)  # nobody signed in
    public.goto(leg.url + f"/public/officers?agency={agency}")
    rows = public.locator("table.public tbody tr")
    expect(rows).to_have_count(2)  # the revoked certificate is not published
    expect(public.locator("table.public")).not_to_contain_text("郑执法")
    expect(public.locator("table.public thead")).to_contain_text("执法证号")
    if leg.name == "sqlite-fs":
        public.screenshot(path=str(shots() / "public-officers.png"), full_page=True)
    public.close()


def test_the_public_register_page_pages_and_filters(leg, page: Page):
    agency = f"WP{uuid.uuid4().hex[:6]}"
    sheet = "执法人员编号,姓名,单位,执法证号,执法类别,执法区域,有效期起,有效期止\n" + "".join(
        f"44{n:05d},{'欧阳' + str(n) if n % 20 == 0 else '人员' + str(n)},某县卫生健康委员会,皖卫执44{n:05d},"
        f"{'职业卫生' if n % 2 else '医疗卫生'},某县,2024-01-01,2030-12-31\n"
        for n in range(70)
    )
    with httpx.Client(base_url=leg.url, headers={"Authorization": f"Bearer {leg.token('admin', agency)}"}, timeout=60) as admin:
        done = admin.post(
            "/api/v1/officers/import", files={"file": ("清单.csv", sheet.encode("gbk"), "text/csv")}
        )  # as Chinese Excel saves it
        assert done.status_code == 200, done.text
    page.goto(leg.url + f"/public/officers?agency={agency}")
    rows = page.locator("table.public tbody tr")
    expect(rows).to_have_count(50)  # a page of them
    expect(page.locator("main")).to_contain_text("共 70 人")
    page.click("a[rel=next]")
    expect(rows).to_have_count(20)
    expect(page.locator("a[rel=next]")).to_have_count(0)
    page.fill("#officer-search input[name=name]", "欧阳")
    page.fill("#officer-search input[name=category]", "医疗卫生")
    page.click("#officer-search button[type=submit]")
    expect(rows).to_have_count(4)  # 欧阳0, 欧阳20, 欧阳40, 欧阳60: all even, all 医疗卫生
    expect(page.locator("table.public")).to_contain_text("欧阳40")
    expect(page.locator("#officer-search input[name=name]")).to_have_value("欧阳")
    assert f"agency={agency}" in page.url  # the form keeps to the agency's list
    page.screenshot(path=str(shots() / f"public-officers-search-{leg.name}.png"), full_page=True)
    page.fill("#officer-search input[name=name]", "没有这个人")
    page.click("#officer-search button[type=submit]")
    expect(page.locator("table.public tbody")).to_contain_text("没有符合条件的人员")


def test_the_import_page_says_in_chinese_why_a_sheet_was_refused(leg, people):
    username = f"keeper{uuid.uuid4().hex[:6]}"
    create_person(leg, username, "admin", f"WK{uuid.uuid4().hex[:4]}", "管理员")
    with signed_in_client(leg.url, username) as http:
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', http.get("/officers").text).group(1)
        long_sheet = "执法人员编号,姓名\n" + "".join(f"{n},某{n}\n" for n in range(10_001))
        refused = http.post("/officers/import", data={"csrf_token": csrf}, files={"file": ("清单.csv", long_sheet.encode(), "text/csv")})
        assert refused.status_code == 413 and "表格除表头外最多 10000 行" in refused.text
        unreadable = http.post(
            "/officers/import", data={"csrf_token": csrf}, files={"file": ("清单.csv", b"\x80\x81\xff" * 20, "text/csv")}
        )
        assert unreadable.status_code == 422 and "无法识别文件编码" in unreadable.text
        bad_row = (
            "执法人员编号,姓名,单位,执法证号,执法类别,执法区域,有效期起,有效期止\n45001,张三,某县卫健委,,医疗卫生,某县,2025-01-01,2026-01-01\n"
            "45002,李四,某县卫健委,皖卫执45002,医疗卫生,某县,2025-01-01,2024-01-01\n"
        )
        rows = http.post("/officers/import", data={"csrf_token": csrf}, files={"file": ("清单.csv", bad_row.encode("gbk"), "text/csv")})
        assert rows.status_code == 422 and "第 2 行 执法证号：不能为空" in rows.text and "第 3 行 有效期止早于有效期起" in rows.text


def test_the_audit_csv_never_hands_a_spreadsheet_a_formula(leg, review_case):
    case_id = review_case["case"]["id"]
    username = f"formula{uuid.uuid4().hex[:6]}"
    create_person(leg, username, "auditor", AGENCY, '=HYPERLINK("http://evil.example")')
    with signed_in_client(leg.url, username) as http:
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', http.get(f"/cases/{case_id}").text).group(1)
        assert http.post(f"/cases/{case_id}/holds", data={"csrf_token": csrf, "reason": "+公式"}).status_code == 303
        sheet = http.get(f"/cases/{case_id}/audit.csv")
    import csv as csv_module

    rows = list(csv_module.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
    assert not any(cell[:1] in "=+-@" for row in rows[1:] for cell in row if cell)
