# Rare Cases — the two commands students need are `make lab` and `make test`.
# Everything else is for authors and instructors. Needs only python3 >= 3.11 on PATH.
#
# One environment folder per Python, so environments for several Pythons live side by side:
# `make test` uses .venv (made with python3); `make test PYTHON=python3.13` uses .venv-3.13.
# VENV=folder overrides either.

PYTHON ?= python3
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
ifeq ($(origin PYTHON),file)
VENV ?= .venv
else
VENV ?= .venv-$(PY_VERSION)
endif
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
# uv installs the pinned packages (fetched in parallel, several times faster than pip); pip
# only fetches uv itself. Run as `python -m uv`, it installs into the interpreter that runs it.
# It lists what it resolves, downloads and installs as it goes. --compile-bytecode does what
# pip does by default, so no process compiles the libraries again where .pyc files cannot be written.
UV_PIN := uv==0.13.9
UV := $(BIN)/python -m uv
COURSE_STAMP := $(VENV)/.course-installed
# The course plus the test tools, nbgrader and the site builder (the `test`, `instructor` and `site` extras).
TEST_STAMP   := $(VENV)/.instructor-installed
# JupyterLab refuses to start as root unless told it may.
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PORT ?= 8888
LINTED := helpers tests notebooks

.PHONY: help lab test lint notebooks release bench bench-grading lock data site clean

help:
	@echo "make lab        open the course in JupyterLab (creates $(VENV) with the course only, if needed)"
	@echo "make test       lint and run every test (adds the test and instructor tools to $(VENV))"
	@echo "make lint       ruff check and ruff format --check over helpers, tests and notebooks"
	@echo "make notebooks  re-execute every notebook in place so committed outputs are fresh"
	@echo "make release    build the student release and the autograder (instructors)"
	@echo "make bench      measure notebook run times and widget latency in a browser"
	@echo "make bench-grading  measure autograding times (a class of 30, every lesson once)"
	@echo "make data       regenerate the files in data/ from their fixed seeds"
	@echo "make site       build the web edition into docs/_build/html (from the committed outputs)"
	@echo "PYTHON=python3.13 picks another interpreter (its own folder, .venv-3.13)"

# Creates $(VENV) with $(PYTHON) unless it exists; refuses one made by another Python.
define make_venv
	@$(PYTHON) -c 'import sys; sys.exit("Rare Cases needs Python >= 3.11; $(PYTHON) is " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$(PY_VERSION)" ]; then \
		echo "$(VENV) holds another Python than $(PYTHON) (Python $(PY_VERSION)); remove it, or pass VENV=another-folder"; exit 1; fi
	@test -x $(BIN)/python || { echo "Creating $(VENV) with $(PYTHON) (Python $(PY_VERSION))"; $(PYTHON) -m venv $(VENV); }
endef

$(COURSE_STAMP): pyproject.toml requirements.lock
	$(make_venv)
	@echo "Installing the course into $(VENV) (the first time takes under a minute)"
	$(PIP) install $(UV_PIN)
	$(UV) pip install --compile-bytecode -c requirements.lock -e .
	@touch $@

$(TEST_STAMP): pyproject.toml requirements.lock
	$(make_venv)
	@echo "Installing the course with its test and instructor tools into $(VENV) (the first time takes about a minute)"
	$(PIP) install $(UV_PIN)
	$(UV) pip install --compile-bytecode -c requirements.lock -e '.[test,instructor,site]'
	@touch $@ $(COURSE_STAMP)

lab: $(COURSE_STAMP)
	@echo "Opening the course; the URL to open in your browser is printed below."
	$(BIN)/python -m jupyterlab --ip=127.0.0.1 --port=$(PORT) --no-browser $(ALLOW_ROOT) \
		--ServerApp.root_dir=notebooks --LabApp.default_url=/lab/tree/00_welcome.ipynb

define run_lint
	$(BIN)/python -m ruff check $(LINTED)
	$(BIN)/python -m ruff format --check $(LINTED)
endef

# pytest exits non-zero when it collects no test, so an empty run fails too.
# The tests first: a report of what broke matters more than style; then the linter.
test: $(TEST_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup --no-loadscope-reorder
	$(run_lint)

lint: $(TEST_STAMP)
	$(run_lint)

notebooks: $(COURSE_STAMP)
	$(BIN)/python -m helpers.refresh notebooks/[0-9]*.ipynb

data: $(COURSE_STAMP)
	$(BIN)/python -m helpers.data --regenerate

release: $(TEST_STAMP)
	$(BIN)/python -m helpers.release

bench: $(TEST_STAMP)
	$(BIN)/python tests/bench.py

# Autograding times: a class of 30 submissions of one lesson, and every lesson once (instructors).
bench-grading: $(TEST_STAMP)
	$(BIN)/python tests/bench_grading.py --lessons

# The web edition: Sphinx renders the committed notebooks (nothing is re-executed).
# It reads the repository root with the configuration in docs/ (docs/conf.py says why).
site: $(TEST_STAMP)
	$(BIN)/python -m sphinx -b html -q -c docs . docs/_build/html
	@echo "The site is in docs/_build/html; open docs/_build/html/index.html"

# After changing the pins in pyproject.toml: rebuild the lock from a clean environment.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip --disable-pip-version-check install '.[test,instructor,site]'
	( sed -n '1,2p' requirements.lock; .lock-venv/bin/python -m pip freeze --exclude rare-cases ) > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lock-venv

clean:
	rm -rf $(VENV) release .pytest_cache docs/_build
