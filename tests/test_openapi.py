from pathlib import Path

from recording_service.app import create_app
from recording_service.config import Settings
import json


def test_committed_openapi_matches_the_app():
    committed = json.loads((Path(__file__).parents[1] / "openapi" / "openapi.json").read_text())
    assert committed == create_app(Settings()).openapi(), "openapi/openapi.json is stale: run `make openapi`"
