# recording_service — `make run` serves the embedded default, `make test` runs both test legs,
# `make bench` prints the benchmark ratios. Each installs what it needs on a fresh machine.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RUNTIME := $(VENV)/.runtime
AXE    := tests/axe/node_modules/axe-core/axe.min.js
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-fast test-unit test-api test-deploy lint typecheck bench bench-cluster bench-live openapi migrate ffmpeg faketime browser postgres haproxy screenshots clean axe vendor-js

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP) $(RUNTIME)

# `make run` needs the runtime only (no SeaweedFS, no schemathesis).
$(RUNTIME): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(RUNTIME)

# $(call apt_ensure,PACKAGE,TEST,WHAT IS MISSED WITHOUT IT): install a distribution package when TEST fails (as root).
define apt_ensure
	@if ! $(2); then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $(1) from the distribution"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
	  else \
	    echo "$(1) is missing (e.g. sudo apt-get install $(1)): $(3)"; \
	  fi; \
	fi
endef

# ffprobe describes footage; libfaketime runs a test instance with its clock ahead (the clock-skew test).
ffmpeg:
	$(call apt_ensure,ffmpeg,command -v ffprobe >/dev/null 2>&1,media will be kept but not described)

faketime:
	$(call apt_ensure,faketime,ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1,the clock-skew test will say it did not run)

# tests/test_deploy.py checks deploy/haproxy/haproxy.cfg with `haproxy -c` (Debian's HAProxy; the service is not started).
haproxy:
	$(call apt_ensure,haproxy,test -x /usr/sbin/haproxy,the proxy configuration test will fail)

# The pages are tested in Debian's chromium (Playwright never downloads a browser here); the font renders Chinese.
browser:
	$(call apt_ensure,chromium,test -x /usr/bin/chromium,the browser tests will fail)
	$(call apt_ensure,fonts-wqy-microhei,test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc,Chinese text in the pages will not render in screenshots)

# axe-core checks every page in the browser tests (tests/test_accessibility.py): the npm package at the version
# tests/axe/package-lock.json pins, installed by `npm ci` (Debian's npm when it is missing).
$(AXE): tests/axe/package.json tests/axe/package-lock.json
	$(call apt_ensure,npm,command -v npm >/dev/null 2>&1,the accessibility tests will fail)
	cd tests/axe && npm ci --no-audit --no-fund --silent
	@touch $(AXE)

axe: $(AXE)

# The browser libraries the pages' upload form uses (tus-js-client, hash-wasm's SHA-256) are served from the service's
# own static files: committed copies in src/recording_service/web/static/vendor/ (so the installed package has them, and
# nothing is fetched at run time). `make vendor-js` installs the versions web-vendor/package-lock.json pins and copies
# their dist files there; tests/unit/test_vendored_js.py checks the copies are those files (`make test` installs them).
WEB_VENDOR := web-vendor/node_modules/.package-lock.json
VENDORED := src/recording_service/web/static/vendor
$(WEB_VENDOR): web-vendor/package.json web-vendor/package-lock.json
	$(call apt_ensure,npm,command -v npm >/dev/null 2>&1,the vendored browser libraries cannot be checked)
	cd web-vendor && npm ci --no-audit --no-fund --silent
	@touch $(WEB_VENDOR)

vendor-js: $(WEB_VENDOR)
	cp web-vendor/node_modules/tus-js-client/dist/tus.min.js $(VENDORED)/tus.min.js
	cp web-vendor/node_modules/hash-wasm/dist/sha256.umd.min.js $(VENDORED)/hash-wasm-sha256.umd.min.js
	cp web-vendor/node_modules/hls.js/dist/hls.light.min.js $(VENDORED)/hls.light.min.js

# The PostgreSQL leg uses the server on 127.0.0.1:5432; start the distribution's cluster if it is down.
postgres:
	@if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then \
	    pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; \
	  fi; \
	fi

migrate: $(RUNTIME)
	$(BIN)/recording-service migrate

run: $(RUNTIME) ffmpeg
	$(BIN)/recording-service serve --host $(HOST) --port $(PORT)

# The two legs run side by side (pytest-xdist, one worker per leg: see tests/conftest.py).
test: $(STAMP) $(AXE) $(WEB_VENDOR) lint typecheck ffmpeg faketime browser postgres haproxy
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# The in-process layer (no servers, no browser), for every save: pure logic, the package structure, the redaction
# corpus (tests/unit) and the business rules through the real app in this process, a fresh SQLite database per
# test (tests/api) — the two side by side, each output kept together; under a minute here. `make test` runs
# everything, the legs too.
test-fast: $(STAMP) lint typecheck
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-unit test-api

test-unit: $(STAMP) $(WEB_VENDOR)
	$(BIN)/python -m pytest -q tests/unit

test-api: $(STAMP)
	$(BIN)/python -m pytest -q tests/api

# The deployment files (deploy/compose.yaml, deploy/helm, deploy/haproxy) rendered and validated offline: no leg.
test-deploy: $(STAMP) haproxy
	$(BIN)/python -m pytest -q tests/test_deploy.py

# ruff (configured in pyproject.toml) over everything Python in the repository — the rules and the format
# (`$(BIN)/ruff format src tests migrations scripts bench` applies it); `make test` runs it first.
lint: $(STAMP)
	$(BIN)/ruff check src tests migrations scripts bench
	$(BIN)/ruff format --check src tests migrations scripts bench

# mypy, strict, over the files pyproject.toml lists (the plumbing, for now).
typecheck: $(STAMP)
	$(BIN)/mypy

# The pictures of the pages (README.md, docs/pages.md), taken by the browser tests on the SQLite leg.
screenshots: $(STAMP) $(AXE) ffmpeg browser
	RS_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q tests/test_web.py tests/test_publication.py tests/test_lists.py tests/test_stats.py tests/test_audit_pages.py tests/test_review_pages.py tests/test_chinese_pages.py tests/test_accessibility.py tests/test_photos.py -k "sqlite and (auditor_reviews or register or public_reads_no_personal_data or in_the_browser or filters_the_agency_trail or every_page_a_role or public_pages_are_chinese or fit_phones or large_text or zoomable or browsers_viewer)"

# `make bench` is the ratios (bench/run.py), then the cluster under failure (bench/cluster.py, below).
bench: $(STAMP) ffmpeg postgres haproxy
	$(BIN)/python bench/run.py
	$(BIN)/python bench/cluster.py

# Live upload (issue 29): 1080p fMP4 cameras streaming 2 s segments at real-time pace by tus deferred length, one
# for 10 minutes, then 20 at once for 2; the lag from a segment's end to durable, visible in the footage list and
# listed in the live playlist, CPU per stream-minute, every stored byte checked; bench/.work/live.json. `make bench`
# runs it as bench/run.py's "live" figure. Scaled by BENCH_LIVE_SECONDS, BENCH_LIVE_STREAMS,
# BENCH_LIVE_CONCURRENT_SECONDS, BENCH_LIVE_RUNS (see bench/live.py); about 13 minutes.
bench-live: $(STAMP) ffmpeg
	$(BIN)/python bench/live.py

# The cluster under failure (issue 28): PostgreSQL, SeaweedFS, three API replicas and two job workers behind HAProxy
# (its configuration from deploy/haproxy/haproxy.cfg), 20 docks uploading 64-512 MiB each with the dock client while
# a replica is killed every 5 s; every upload, probe and the audit chain checked afterwards, the figures printed and in
# bench/.work/cluster.json. Scaled by BENCH_CLUSTER_* (see bench/cluster.py); about 6 GB of disk while it runs.
bench-cluster: $(STAMP) ffmpeg postgres haproxy
	$(BIN)/python bench/cluster.py

openapi: $(STAMP)
	$(BIN)/python scripts/export_openapi.py

clean:
	rm -rf $(VENV) data .pytest_cache
