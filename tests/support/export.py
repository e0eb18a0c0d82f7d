"""The case file's offline verifier, as the CLI reports it."""

import json
from pathlib import Path


def verify(leg, path: Path):
    result = leg.service.cli("verify-export", str(path), check=False)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert (result.returncode == 0) == report["ok"], result
    return report
