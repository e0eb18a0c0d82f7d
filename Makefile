# recording_service — `make run` serves the embedded default, `make test` runs both test legs,
# `make bench` prints the benchmark ratios. Each installs what it needs on a fresh machine.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench openapi migrate ffmpeg postgres clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# ffmpeg/ffprobe from the distribution when missing (probing footage needs ffprobe).
ffmpeg:
	@if ! command -v ffprobe >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing ffmpeg from the distribution"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null; \
	  else \
	    echo "ffprobe is missing: install ffmpeg (e.g. sudo apt-get install ffmpeg); media will be kept but not described"; \
	  fi; \
	fi

# The PostgreSQL leg uses the server on 127.0.0.1:5432; start the distribution's cluster if it is down.
postgres:
	@if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then \
	    pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; \
	  fi; \
	fi

migrate: $(STAMP)
	$(BIN)/recording-service migrate

run: $(STAMP) ffmpeg
	$(BIN)/recording-service serve --host 127.0.0.1 --port 8000

test: $(STAMP) ffmpeg postgres
	$(BIN)/python -m pytest

bench: $(STAMP) ffmpeg postgres
	$(BIN)/python bench/run.py

openapi: $(STAMP)
	$(BIN)/python scripts/export_openapi.py

clean:
	rm -rf $(VENV) data .pytest_cache
