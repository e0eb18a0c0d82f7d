import json
from pathlib import Path

from recording_service.app import create_app
from recording_service.core.config import Settings


def test_committed_openapi_matches_the_app():
    committed = json.loads((Path(__file__).parents[1] / "openapi" / "openapi.json").read_text())
    assert committed == create_app(Settings()).openapi(), "openapi/openapi.json is stale: run `make openapi`"


def test_docs_work_without_internet_and_describe_problems_and_the_bearer_scheme(leg):
    import re

    import httpx

    with httpx.Client(base_url=leg.url, timeout=30) as anonymous:
        page = anonymous.get("/docs")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
        assert assets and all(url.startswith("/") and not url.startswith("//") for url in assets), assets  # nothing from a CDN
        assert "https://" not in page.text and "http://" not in page.text
        for url in assets:
            assert anonymous.get(url).status_code == 200, url
        schema = anonymous.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    patch = schema["paths"]["/api/v1/uploads/{upload_id}"]["patch"]
    assert {"400", "401", "404", "409", "413", "415", "423", "460", "503"} <= set(patch["responses"])
    assert patch["responses"]["460"]["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert patch["security"] == [{"HTTPBearer": []}]
