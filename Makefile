# Two entry points (see README): `make run` and `make test`. Everything else is plumbing;
# `make test-fast` is the developer's loop while editing (no model, browser or servers).
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast typecheck lint eval bench hadolint browser servers image-check clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# CPU build of torch first: the pin matches the wheel on this machine; a looser spec
	# would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: set up, then run the service (indexes knowledge/ on first start)
run: $(STAMP)
	$(PY) -m bot

## test: set up, then run lint, the Dockerfile check, the whole test suite and the quality gates
test: $(STAMP) browser servers
	$(VENV)/bin/ruff check bot tests benchmarks ingest.py
	$(VENV)/bin/mypy
	$(VENV)/bin/hadolint Dockerfile
	@# The suite runs with the network cut (a new network namespace holding only loopback)
	@# wherever the machine allows it: a download or an outbound connection fails the run.
	@if command -v ip >/dev/null && unshare -n true 2>/dev/null; then \
		echo "pytest with the network cut (unshare -n, loopback only)"; \
		unshare -n sh -c 'ip link set lo up && exec $(PY) -m pytest -q'; \
	else \
		echo "unshare -n unavailable: pytest with the network on"; \
		$(PY) -m pytest -q; \
	fi
	@# Answer quality on the held-out questions of eval/ (never used for fitting): exit 1 below
	@# the regression floors in bot/evaluation.py.
	$(PY) -m bot eval --split heldout --gate --data-dir $$(mktemp -d)

## test-fast: lint, type check and the tests that need no model, no browser and no server
## (tests/unit and the plumbing tests; marked in tests/conftest.py). Under a minute.
test-fast: $(STAMP)
	$(VENV)/bin/ruff check bot tests benchmarks ingest.py
	$(VENV)/bin/mypy
	BOT_FAST_TIER=1 $(PY) -m pytest -q -m "not slow and not browser and not server"

## typecheck: mypy as configured in pyproject.toml (strict on bot/rag)
typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Debian's Chromium for the widget's browser tests (Playwright never downloads a browser),
# and CJK fonts so the screenshot artifacts show Korean and Japanese text.
browser:
	@command -v chromium >/dev/null && dpkg -s fonts-noto-cjk >/dev/null 2>&1 || { \
		apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

# Servers the integration tests start themselves on 127.0.0.1: nginx runs the Chroma token
# proxy (deploy/chroma-auth.conf.template), PostgreSQL backs the DATABASE_URL tests (tests/pg
# starts a private server from these binaries per session).
servers:
	@{ command -v nginx >/dev/null || test -x /usr/sbin/nginx; } && \
	 ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		apt-get update -qq && apt-get install -y -qq nginx-light postgresql >/dev/null; }

eval: $(STAMP)
	$(PY) -m bot eval

bench: $(STAMP)
	$(PY) benchmarks/core.py
	$(PY) benchmarks/quality.py

## image-check: build the Dockerfile with buildah from a debootstrap'd Debian base and run the
## image with no network (non-root, /readyz, a Korean question). Minutes; not part of `test`.
image-check:
	bash deploy/image-check.sh

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache
