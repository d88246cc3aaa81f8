# Rare Cases — the two commands students need are `make lab` and `make test`.
# Everything else is for authors and instructors. Needs only python3 >= 3.11 on PATH.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet
COURSE_STAMP     := $(VENV)/.course-installed
INSTRUCTOR_STAMP := $(VENV)/.instructor-installed
SITE_STAMP       := $(VENV)/.site-installed
# JupyterLab refuses to start as root unless told it may.
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PORT ?= 8888

.PHONY: help lab test notebooks release bench lock data clean site

help:
	@echo "make lab        open the course in JupyterLab (creates $(VENV) if needed)"
	@echo "make test       run every test (creates $(VENV) if needed)"
	@echo "make notebooks  re-execute every notebook in place so committed outputs are fresh"
	@echo "make release    build the student release and the autograder (instructors)"
	@echo "make bench      measure notebook run times and widget latency in a browser"
	@echo "make data       regenerate the files in data/ from their fixed seeds"
	@echo "make site       build the web edition into docs/_build/html (from the committed outputs)"

$(COURSE_STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit("Rare Cases needs Python >= 3.11; $(PYTHON) is " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -c requirements.lock -e '.[test]'
	@touch $@

# nbgrader is for instructors only; students never need it.
$(INSTRUCTOR_STAMP): $(COURSE_STAMP)
	$(PIP) install -c requirements.lock -e '.[test,instructor]'
	@touch $@

lab: $(COURSE_STAMP)
	@echo "Opening the course; the URL to open in your browser is printed below."
	$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) --no-browser $(ALLOW_ROOT) \
		--ServerApp.root_dir=notebooks --LabApp.default_url=/lab/tree/00_welcome.ipynb

test: $(INSTRUCTOR_STAMP) $(SITE_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

notebooks: $(COURSE_STAMP)
	$(BIN)/python -m helpers.refresh notebooks/[0-9]*.ipynb

data: $(COURSE_STAMP)
	$(BIN)/python -m helpers.data --regenerate

release: $(INSTRUCTOR_STAMP)
	$(BIN)/python -m helpers.release

bench: $(COURSE_STAMP)
	$(BIN)/python tests/bench.py

# The web edition: Sphinx renders the committed notebooks (nothing is re-executed).
# It reads the repository root with the configuration in docs/ (docs/conf.py says why).
$(SITE_STAMP): $(COURSE_STAMP)
	$(PIP) install -c requirements.lock -e '.[test,site]'
	@touch $@

site: $(SITE_STAMP)
	$(BIN)/python -m sphinx -b html -q -c docs . docs/_build/html
	@echo "The site is in docs/_build/html; open docs/_build/html/index.html"

# After changing the pins in pyproject.toml: rebuild the lock from a clean environment.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip --disable-pip-version-check --quiet install '.[test,instructor,site]'
	( sed -n '1,2p' requirements.lock; .lock-venv/bin/python -m pip freeze --exclude rare-cases ) > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lock-venv

clean:
	rm -rf $(VENV) release .pytest_cache docs/_build
