"""The browser libraries the pages serve (src/recording_service/web/static/vendor/) are byte for byte the dist files
of the npm packages at the versions web-vendor/package-lock.json pins (`make vendor-js` refreshes them; `make test`
installs the pinned packages with `npm ci` first)."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "web-vendor"
STATIC = ROOT / "src" / "recording_service" / "web" / "static" / "vendor"
# served file -> (npm package, file inside it)
COPIES = {
    "tus.min.js": ("tus-js-client", "dist/tus.min.js"),
    "hash-wasm-sha256.umd.min.js": ("hash-wasm", "dist/sha256.umd.min.js"),
    "hls.light.min.js": ("hls.js", "dist/hls.light.min.js"),  # issue 29: the live view (no subtitles, no DRM)
}


def _lock() -> dict:
    return json.loads((VENDOR / "package-lock.json").read_text())


@pytest.mark.parametrize("served", sorted(COPIES))
def test_the_served_copy_is_the_pinned_npm_file(served):
    package, inside = COPIES[served]
    pinned = json.loads((VENDOR / "package.json").read_text())["dependencies"][package]
    locked = _lock()["packages"][f"node_modules/{package}"]
    assert locked["version"] == pinned, f"{package}: package.json pins {pinned}, the lock has {locked['version']}"
    installed = VENDOR / "node_modules" / package
    assert installed.is_dir(), f"{package} is not installed: run `make vendor-js` (npm ci in web-vendor/)"
    assert json.loads((installed / "package.json").read_text())["version"] == pinned, "node_modules is stale: run `npm ci` in web-vendor/"
    assert (STATIC / served).read_bytes() == (installed / inside).read_bytes(), (
        f"static/vendor/{served} differs from {package}@{pinned}'s {inside}: run `make vendor-js` and commit"
    )


def test_every_served_vendor_file_is_accounted_for():
    assert {p.name for p in STATIC.iterdir()} == set(COPIES)
