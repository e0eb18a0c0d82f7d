"""HTTP helpers every API test uses: tus requests and RFC 9457 problem checks."""

import base64

TUS = {"Tus-Resumable": "1.0.0"}


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def metadata_header(**fields: str) -> str:
    return ",".join(f"{k} {b64(v)}" for k, v in fields.items())


def create(http, length: int | None, **metadata: str):
    """A tus upload; `length=None` defers it (a recording sent as it is made)."""
    headers = {**TUS, **({"Upload-Length": str(length)} if length is not None else {"Upload-Defer-Length": "1"})}
    if metadata:
        headers["Upload-Metadata"] = metadata_header(**metadata)
    return http.post("/api/v1/uploads", headers=headers)


def patch(http, location: str, offset: int, body: bytes, **headers: str):
    return http.patch(
        location, content=body, headers={**TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream", **headers}
    )


def assert_problem(response, status: int, code: str | None = None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if response.request.method == "HEAD":
        return None  # no body on HEAD, but the same status and type
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if code:
        assert body["type"].endswith(":" + code), body
    return body
