# make demo: install, build, write a demo logdir by training small models, start TensorBoard.
# make test: install, build, run every test (Python, plugin, browser end-to-end, frontend).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
DEMO_LOGDIR ?= demo_runs
PORT ?= 6006
EXTRAS := torch,lightning,transformers,remote,dev

.PHONY: install build frontend-deps chromium lint-python test test-python test-frontend demo demo-logdir bench clean

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first, from the pinned CPU build, so nothing below pulls a CUDA build
	$(PIP) install -q -c constraints.txt torch
	TBS_SKIP_FRONTEND_BUILD=1 $(PIP) install -q -c constraints.txt -e '.[$(EXTRAS)]'
	touch $@

install: $(VENV)/.installed

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

frontend-deps: frontend/node_modules/.package-lock.json

build: frontend-deps
	cd frontend && npm run build

chromium:
	@command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }

lint-python: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test-python: install build chromium lint-python
	$(PY) -m pytest -q -ra

test-frontend: frontend-deps
	cd frontend && npm run lint && npm test

test: test-frontend test-python

demo-logdir: install build
	rm -rf $(DEMO_LOGDIR)
	$(PY) -m demos --logdir $(DEMO_LOGDIR)

# PORT, or the next free port after it when it is taken (printed)
demo: demo-logdir
	@port=$$($(PY) -m demos.free_port $(PORT)) && echo "tb-suite demo: open http://127.0.0.1:$$port/" && \
	$(VENV)/bin/tensorboard --logdir $(DEMO_LOGDIR) --host 127.0.0.1 --port $$port

bench: install build
	for script in benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) frontend/node_modules tb_suite/_frontend build dist *.egg-info
