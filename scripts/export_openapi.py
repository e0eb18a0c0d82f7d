"""Write openapi/openapi.json from the application (make openapi); a test fails when it drifts."""

import json
import sys
from pathlib import Path

from recording_service.app import create_app
from recording_service.core.config import Settings


def render() -> str:
    return json.dumps(create_app(Settings()).openapi(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


if __name__ == "__main__":
    target = Path(__file__).parents[1] / "openapi" / "openapi.json"
    if "--check" in sys.argv:
        sys.exit(0 if target.read_text() == render() else 1)
    target.write_text(render())
    print(f"wrote {target}")
