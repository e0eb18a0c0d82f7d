"""Media records: ffprobe on real clips, recording times, content delivery, listing, multipart uploads."""

import base64
import hashlib
from email.parser import BytesParser
from email.policy import HTTP

import pytest

from .support.api import assert_problem
from .support.media import described, upload_bytes


def upload_form(http, path, **fields: str):
    with open(path, "rb") as handle:
        return http.post("/api/v1/media", data=fields, files={"file": (path.name, handle, "video/mp4")})


def test_probe_describes_a_real_clip_and_takes_start_from_container(leg, clips):
    clip = clips("container.mp4", seconds=3, creation_time="2026-11-20T01:02:03Z")
    with leg.client(leg.token()) as http:
        media = http.get(f"/api/v1/media/{upload_bytes(http, clip.read_bytes(), filename=clip.name)}").json()
    assert media["status"] == "ready" and media["probe_error"] is None
    assert media["container"].startswith("mov,mp4")
    assert media["video"] == {"codec": "h264", "width": 320, "height": 240, "fps": 25.0}
    assert media["audio"]["codec"] == "aac" and media["audio"]["channels"] == 1 and media["audio"]["sample_rate"] > 0
    assert media["duration_s"] == pytest.approx(3.0, abs=0.1)
    assert media["recorded_at_source"] == "container"
    assert media["recorded_started_at"] == "2026-11-20T09:02:03+08:00"  # shown in the agency's time zone
    assert media["recorded_ended_at"].startswith("2026-11-20T09:02:06")


def test_declared_recorded_at_wins_and_end_is_start_plus_duration(leg, clips):
    clip = clips("declared.mp4", seconds=2, creation_time="2026-11-20T01:02:03Z")
    with leg.client(leg.token()) as http:
        media_id = upload_bytes(http, clip.read_bytes() + b"", recorded_at="2026-11-21T10:00:00+08:00", flag="important")
        media = http.get(f"/api/v1/media/{media_id}").json()
    assert media["recorded_at_source"] == "metadata" and media["flag"] == "important"
    assert media["recorded_started_at"] == "2026-11-21T10:00:00+08:00"
    assert media["recorded_ended_at"].startswith("2026-11-21T10:00:02")


def test_start_from_camera_file_name_when_nothing_else(leg, clips):
    clip = clips("noctime.mp4", seconds=2, audio=False, size="160x120")
    with leg.client(leg.token()) as http:
        media = http.get(f"/api/v1/media/{upload_bytes(http, clip.read_bytes(), filename='DSJ_A123_20261122083000.mp4')}").json()
    assert media["recorded_at_source"] == "filename"
    assert media["recorded_started_at"] == "2026-11-22T08:30:00+08:00"
    assert media["audio"] is None and media["video"]["width"] == 160


def test_not_media_and_truncated_files_are_kept_as_probe_failed(leg, clips):
    clip = clips("whole.mp4", seconds=2)
    truncated = clip.read_bytes()[: len(clip.read_bytes()) // 2]
    with leg.client(leg.token()) as http:
        for data, name in ((b"%PDF-1.4 not a video at all" * 50, "scan.pdf"), (truncated, "cut.mp4")):
            media = http.get(f"/api/v1/media/{upload_bytes(http, data, filename=name)}").json()
            assert media["status"] == "probe_failed" and media["probe_error"]
            assert media["sha256"] == hashlib.sha256(data).hexdigest()
            assert http.get(media["content_url"]).content == data


def test_multipart_upload_streams_and_verifies(leg, clips):
    clip = clips("form.mp4", seconds=2, creation_time="2026-11-20T02:00:00Z")
    sha = hashlib.sha256(clip.read_bytes()).hexdigest()
    with leg.client(leg.token()) as http:
        response = upload_form(http, clip, sha256=sha, device_id="CAM-9", officer_ids="1001, 1002", dock_id="D7")
        assert response.status_code == 201, response.text
        media = response.json()
        assert media["status"] == "processing"  # answered once the record exists; probing is a job
        media = described(http, media["id"])
        assert media["sha256"] == sha and media["status"] == "ready" and media["filename"] == "form.mp4"
        assert media["officer_ids"] == ["1001", "1002"] and media["dock_id"] == "D7"
        assert response.headers["Location"] == f"/api/v1/media/{media['id']}"
        wrong = upload_form(http, clip, sha256="0" * 64)
        assert_problem(wrong, 460, "sha256-mismatch")
        assert_problem(http.post("/api/v1/media", data={"device_id": "x"}, files={"other": ("a", b"b")}), 400, "invalid-form")
        assert_problem(http.post("/api/v1/media", content=b"raw", headers={"Content-Type": "video/mp4"}), 415)
        assert_problem(upload_form(http, clip, recorded_at="not a date"), 400, "invalid-metadata")


def test_content_delivery_ranges_and_digests(leg):
    data = bytes(range(256)) * 40  # 10240 bytes
    sha = hashlib.sha256(data).hexdigest()
    with leg.client(leg.token()) as http:
        url = f"/api/v1/media/{upload_bytes(http, data, filename='报告 1.bin')}/content"
        whole = http.get(url)
        assert whole.status_code == 200 and whole.content == data
        assert whole.headers["ETag"] == f'"{sha}"'
        assert whole.headers["Repr-Digest"] == f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"
        assert whole.headers["Accept-Ranges"] == "bytes"
        assert "filename*=UTF-8''%E6%8A%A5%E5%91%8A%201.bin" in whole.headers["Content-Disposition"]

        head = http.head(url)
        assert head.status_code == 200 and head.content == b"" and head.headers["Content-Length"] == str(len(data))
        assert head.headers["ETag"] == whole.headers["ETag"]

        part = http.get(url, headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == data[100:200]
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
        assert http.get(url, headers={"Range": "bytes=-10"}).content == data[-10:]
        assert http.get(url, headers={"Range": "bytes=10000-"}).content == data[10000:]
        assert http.get(url, headers={"Range": "bytes=10200-99999"}).content == data[10200:]

        multi = http.get(url, headers={"Range": "bytes=0-9,5000-5009,-4"})
        assert multi.status_code == 206 and multi.headers["Content-Type"].startswith("multipart/byteranges; boundary=")
        assert int(multi.headers["Content-Length"]) == len(multi.content)
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + multi.headers["Content-Type"].encode() + b"\r\n\r\n" + multi.content
        )
        parts = [(p["Content-Range"], p.get_payload(decode=True)) for p in message.iter_parts()]
        assert parts == [
            (f"bytes 0-9/{len(data)}", data[:10]),
            (f"bytes 5000-5009/{len(data)}", data[5000:5010]),
            (f"bytes 10236-10239/{len(data)}", data[-4:]),
        ]

        unsatisfiable = http.get(url, headers={"Range": "bytes=20000-20010"})
        assert_problem(unsatisfiable, 416)
        assert unsatisfiable.headers["Content-Range"] == f"bytes */{len(data)}"
        assert http.get(url, headers={"If-None-Match": f'"{sha}"'}).status_code == 304
        assert http.get(url, headers={"Range": "bytes=0-9", "If-Range": '"stale"'}).status_code == 200


def test_list_filters_and_cursor_pagination(leg):
    token = leg.token("dock", "LIST1")
    with leg.client(token) as http:
        ids = [
            upload_bytes(
                http,
                f"list item {i}".encode() * 30,
                device_id="CAM-L" if i % 2 else "CAM-M",
                officer_ids=f"77{i},8800",
                recorded_at=f"2026-11-1{i}T08:00:00+08:00",
            )
            for i in range(5)
        ]
        seen, cursor = [], None
        while True:
            page = http.get("/api/v1/media", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sorted(seen) == sorted(ids) and len(seen) == 5
        assert {m["id"] for m in http.get("/api/v1/media", params={"device_id": "CAM-L"}).json()["items"]} == {ids[1], ids[3]}
        assert [m["id"] for m in http.get("/api/v1/media", params={"officer_id": "772"}).json()["items"]] == [ids[2]]
        assert len(http.get("/api/v1/media", params={"officer_id": "8800"}).json()["items"]) == 5
        assert [m["id"] for m in http.get("/api/v1/media", params={"officer_id": "88"}).json()["items"]] == []
        # Not media, so no duration: only the start is known; a window selects by overlap of known times.
        sha = hashlib.sha256(b"list item 3" * 30).hexdigest()
        assert [m["id"] for m in http.get("/api/v1/media", params={"sha256": sha}).json()["items"]] == [ids[3]]
        window = http.get("/api/v1/media", params={"recorded_to": "2026-11-11T12:00:00+08:00"}).json()["items"]
        assert {m["id"] for m in window} == {ids[0], ids[1]}
        assert_problem(http.get("/api/v1/media", params={"cursor": "garbage"}), 400, "invalid-cursor")
        assert_problem(http.get("/api/v1/media", params={"recorded_to": "2026-11-11T12:00:00"}), 400)
        assert_problem(http.get("/api/v1/media", params={"limit": 0}), 422)


def test_s3_content_can_redirect_to_a_presigned_url(leg, tmp_path):
    if leg.seaweed is None:
        pytest.skip("presigned redirects exist only on the S3 store (this is the filesystem leg)")
    from .support.servers import ServiceProcess

    redirecting = ServiceProcess({**leg.service.env, "RECORDING_S3_PRESIGNED_REDIRECT": "true"}, tmp_path).start()
    try:
        data = b"presigned footage" * 1000
        with leg.client(leg.token()) as http:
            media_id = upload_bytes(http, data, filename="clip.mp4")
            http.base_url = redirecting.base_url
            response = http.get(f"/api/v1/media/{media_id}/content")
            assert response.status_code == 307
            assert response.headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'
            target = response.headers["Location"]
        assert target.startswith(leg.seaweed.endpoint) and "X-Amz-Expires=" in target
        import httpx

        fetched = httpx.get(target, headers={"Range": "bytes=0-16"})  # no bearer token: the signature is the grant
        assert fetched.status_code == 206 and fetched.content == data[:17]
    finally:
        redirecting.stop()
