"""窗口办事人员 公示 through the API of the app in this process: kept by an admin (each change a version and an audit
event), read by auditors, published without a token with nothing but what the 公示 shows, photos checked by what
their bytes are and stored without their metadata; another agency's entries are not there."""

import io
import re
import uuid

from PIL import Image

from ..support.api import assert_problem
from ..support.inprocess import create_person, signed_in_client
from ..support.publishing import with_profile


def photo(kind: str = "JPEG", size: tuple[int, int] = (300, 400), exif_make: str | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 180, 160))
    if exif_make:
        exif = Image.Exif()
        exif[0x010F] = exif_make  # Make: the camera, which the 公示 has no need of
        image.save(out, format=kind, exif=exif.tobytes())
    else:
        image.save(out, format=kind)
    return out.getvalue()


def person(name: str = "王芳", **overrides) -> dict:
    body = {
        "name": name,
        "unit": "县政务服务中心卫生健康窗口",
        "post": "窗口负责人",
        "window": "12号窗口",
        "enforcement_kinds": ["license", "confirmation"],
        "services": ["公共场所卫生许可", "医疗机构执业登记"],
    }
    return {**body, **overrides}


def test_window_staff_kept_versioned_and_published(inproc):
    agency = f"WS{uuid.uuid4().hex[:6]}"
    with (
        inproc.client(inproc.token("admin", agency)) as admin,
        inproc.client(inproc.token("auditor", agency)) as auditor,
        inproc.client(inproc.token("reviewer", agency)) as reviewer,
        inproc.client(inproc.token("admin", "OTHER7")) as other,
        inproc.client() as anyone,
    ):
        created = admin.post("/api/v1/window-staff", json=person())
        assert created.status_code == 201, created.text
        staff = created.json()
        assert staff["active"] is True and staff["enforcement_kind_names"] == ["行政许可", "行政确认"] and staff["version"] == 1
        staff_id = staff["id"]
        assert created.headers["location"] == f"/api/v1/window-staff/{staff_id}"
        assert admin.post("/api/v1/window-staff", json=person("李明", unit="县政务服务中心医保窗口", window="3号窗口")).status_code == 201
        assert admin.post("/api/v1/window-staff", json=person("陈静", enforcement_kinds=["penalty"])).status_code == 201
        assert auditor.post("/api/v1/window-staff", json=person("赵六")).status_code == 403
        assert reviewer.get("/api/v1/window-staff").status_code == 403
        for bad in (
            person(enforcement_kinds=["taxation"]),  # not a kind of enforcement
            person(enforcement_kinds=["license", "license"]),
            person(name="  "),
            person(services=["长" * 201]),
            {**person(), "phone": "13912345678"},  # no such field: nothing personal beyond the plan's
            person(window="窗" * 101),
        ):
            assert_problem(admin.post("/api/v1/window-staff", json=bad), 422)

        listed = auditor.get("/api/v1/window-staff").json()["items"]
        assert [s["name"] for s in listed] == ["陈静", "王芳", "李明"]  # 卫生健康窗口 before 医保窗口? by pinyin: wei < yi
        assert_problem(other.get(f"/api/v1/window-staff/{staff_id}"), 404, "window-staff-not-found")
        assert_problem(other.patch(f"/api/v1/window-staff/{staff_id}", json={"post": "科员"}), 404, "window-staff-not-found")

        changed = admin.patch(f"/api/v1/window-staff/{staff_id}", json={"window": "8号窗口", "services": ["公共场所卫生许可"]})
        assert changed.status_code == 200 and changed.json()["window"] == "8号窗口" and changed.json()["version"] == 2
        assert admin.patch(f"/api/v1/window-staff/{staff_id}", json={"window": "8号窗口"}).json()["version"] == 2  # nothing changed
        off = admin.patch(f"/api/v1/window-staff/{staff_id}", json={"active": False, "reason": "调离窗口岗位"})
        history = off.json()["history"]
        assert [h["action"] for h in history] == ["created", "updated", "updated"] and history[-1]["reason"] == "调离窗口岗位"
        assert history[0]["state"]["window"] == "12号窗口" and history[-1]["state"]["active"] is False

        published = anyone.get("/api/v1/public/window-staff", params={"agency": agency})
        assert published.status_code == 200 and published.headers["cache-control"].startswith("public")
        items = published.json()["items"]
        assert [s["name"] for s in items] == ["陈静", "李明"]  # off duty: off the list
        assert set(items[0]) == {
            "id",
            "agency",
            "name",
            "unit",
            "post",
            "window",
            "enforcement_kinds",
            "enforcement_kind_names",
            "services",
            "photo_url",
        }
        assert [
            s["name"] for s in anyone.get("/api/v1/public/window-staff", params={"agency": agency, "unit": "医保"}).json()["items"]
        ] == ["李明"]
        back = admin.patch(f"/api/v1/window-staff/{staff_id}", json={"active": True, "reason": "返回窗口岗位"})
        assert back.json()["active"] is True
        assert len(anyone.get("/api/v1/public/window-staff", params={"agency": agency}).json()["items"]) == 3

        actions = [e["action"] for e in auditor.get("/api/v1/audit/events", params={"limit": 500}).json()["items"]]
        assert actions.count("window_staff.created") == 3 and actions.count("window_staff.updated") == 3


def test_photos_are_checked_stripped_and_served(inproc):
    agency = f"WP{uuid.uuid4().hex[:6]}"
    with inproc.client(inproc.token("admin", agency)) as admin, inproc.client() as anyone:
        staff_id = admin.post("/api/v1/window-staff", json=person()).json()["id"]
        original = photo(exif_make="TestCamMake")
        assert b"TestCamMake" in original
        put = admin.put(f"/api/v1/window-staff/{staff_id}/photo", files={"file": ("照片.jpg", original, "image/jpeg")})
        assert put.status_code == 200, put.text
        assert put.json()["photo_sha256"] and [h["action"] for h in put.json()["history"]][-1] == "photo_set"

        item = anyone.get("/api/v1/public/window-staff", params={"agency": agency}).json()["items"][0]
        served = anyone.get(item["photo_url"])
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert b"TestCamMake" not in served.content  # the camera's metadata is not published
        assert Image.open(io.BytesIO(served.content)).size == (300, 400)
        assert anyone.get(item["photo_url"], headers={"If-None-Match": served.headers["etag"]}).status_code == 304

        png = admin.put(f"/api/v1/window-staff/{staff_id}/photo", files={"file": ("photo.png", photo("PNG"), "image/png")})
        assert png.status_code == 200
        assert anyone.get(f"/api/v1/public/window-staff/{staff_id}/photo").headers["content-type"] == "image/png"

        # What the bytes are decides, not the name or the declared type.
        for name, body, declared in (
            ("x.jpg", b"GIF89a" + b"\0" * 100, "image/jpeg"),
            ("x.jpg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/jpeg"),
            ("x.gif", photo("GIF"), "image/gif"),
            ("x.jpg", photo()[:200], "image/jpeg"),  # cut short
            ("x.jpg", photo(size=(8, 8)), "image/jpeg"),  # no portrait
        ):
            assert_problem(
                admin.put(f"/api/v1/window-staff/{staff_id}/photo", files={"file": (name, body, declared)}), 422, "photo-invalid"
            )
        assert_problem(
            admin.put(f"/api/v1/window-staff/{staff_id}/photo", files={"file": ("x.jpg", b"\xff" * (800 * 1024), "image/jpeg")}),
            413,
            "photo-too-large",
        )
        assert_problem(
            admin.put(f"/api/v1/window-staff/{staff_id}/photo", files={"file": ("big.png", photo("PNG", size=(5000, 4000)), "image/png")}),
            413,
            "photo-too-large",
        )

        # Off duty: the photo is no longer public; the staff still read it.
        admin.patch(f"/api/v1/window-staff/{staff_id}", json={"active": False, "reason": "离岗"})
        assert_problem(anyone.get(f"/api/v1/public/window-staff/{staff_id}/photo"), 404, "window-staff-not-found")
        assert admin.get(f"/api/v1/window-staff/{staff_id}/photo").status_code == 200
        removed = admin.delete(f"/api/v1/window-staff/{staff_id}/photo")
        assert removed.json()["photo_url"] is None
        assert_problem(admin.get(f"/api/v1/window-staff/{staff_id}/photo"), 404, "photo-not-found")


def test_the_window_staff_pages(inproc):
    """The staff's pages (an admin adds, edits, uploads a photo and takes someone off duty; an auditor only reads) and
    the public list with its printable badges and board."""
    agency = f"WG{uuid.uuid4().hex[:6]}"
    with_profile(inproc, agency)
    admin_name, auditor_name = f"admin{uuid.uuid4().hex[:6]}", f"auditor{uuid.uuid4().hex[:6]}"
    create_person(inproc, admin_name, "admin", agency, "孙管理")
    create_person(inproc, auditor_name, "auditor", agency, "赵监督")
    with signed_in_client(inproc, admin_name) as admin:
        listing = admin.get("/window-staff")
        token = re.search(r'name="csrf_token" value="([^"]+)"', listing.text).group(1)
        form = {
            "name": "王芳",
            "unit": "县政务服务中心卫生健康窗口",
            "post": "窗口负责人",
            "window": "12号窗口",
            "services": "公共场所卫生许可、医疗机构执业登记",
        }
        refused = admin.post("/window-staff", data={**form, "window": "", "csrf_token": token, "enforcement_kinds": ["license"]})
        assert refused.status_code == 422 and "窗口：" in refused.text and 'value="王芳"' in refused.text
        added = admin.post("/window-staff", data={**form, "csrf_token": token, "enforcement_kinds": ["license", "confirmation"]})
        assert added.status_code == 303
        staff_id = added.headers["location"].rsplit("/", 1)[1]
        page = admin.get(f"/window-staff/{staff_id}")
        assert "行政许可、行政确认" in page.text and "公共场所卫生许可、医疗机构执业登记" in page.text
        bad_photo = admin.post(
            f"/window-staff/{staff_id}/photo", data={"csrf_token": token}, files={"file": ("x.jpg", b"not an image", "image/jpeg")}
        )
        assert bad_photo.status_code == 422 and "照片无法识别" in bad_photo.text
        assert (
            admin.post(
                f"/window-staff/{staff_id}/photo", data={"csrf_token": token}, files={"file": ("x.jpg", photo(), "image/jpeg")}
            ).status_code
            == 303
        )
        assert admin.get(f"/window-staff/{staff_id}/photo").headers["content-type"] == "image/jpeg"
        edited = admin.post(
            f"/window-staff/{staff_id}", data={**form, "window": "8号窗口", "csrf_token": token, "enforcement_kinds": ["license"]}
        )
        assert edited.status_code == 303 and "8号窗口" in admin.get(f"/window-staff/{staff_id}").text

    with inproc.client() as anyone:
        public = anyone.get("/public/window-staff", params={"agency": agency})
        assert public.status_code == 200 and "王芳" in public.text and "8号窗口" in public.text
        assert f"/api/v1/public/window-staff/{staff_id}/photo" in public.text
        badges = anyone.get("/public/window-staff/badges", params={"agency": agency})
        assert badges.status_code == 200 and f'data-staff="{staff_id}"' in badges.text and 'class="badge"' in badges.text
        assert "/static/window_staff.css" in badges.text and anyone.get("/static/window_staff.css").status_code == 200
        board = anyone.get("/public/window-staff/badges", params={"agency": agency, "layout": "board"})
        assert 'class="board"' in board.text and "窗口办事人员公示牌" in board.text
        assert anyone.get("/public/window-staff", params={"agency": agency, "page": "2"}).status_code == 400  # not a filter

    with signed_in_client(inproc, auditor_name) as auditor:
        page = auditor.get(f"/window-staff/{staff_id}")
        assert page.status_code == 200 and 'id="active-form"' not in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        assert auditor.post(f"/window-staff/{staff_id}/active", data={"active": "false", "csrf_token": token}).status_code == 403

    with signed_in_client(inproc, admin_name) as admin:
        token = re.search(r'name="csrf_token" value="([^"]+)"', admin.get(f"/window-staff/{staff_id}").text).group(1)
        off = admin.post(f"/window-staff/{staff_id}/active", data={"active": "false", "reason": "调离", "csrf_token": token})
        assert off.status_code == 303
        history = admin.get(f"/window-staff/{staff_id}").text
        assert "调离" in history and "不在岗" in history
    with inproc.client() as anyone:
        assert "王芳" not in anyone.get("/public/window-staff", params={"agency": agency}).text
