# make run   - start the app on the shipped weights (creates the venv on first use)
# make test  - install everything the tests need (venv, Chromium, MNIST, Fashion-MNIST, axe-core), lint, and run them all
# make test-fast - the same without a browser or an app server: the inner loop of a change
# make lint  - ruff (ruff.toml) over the whole tree, and the packages' one direction of imports (.importlinter)
# make bench - print the speed and quality figures quoted in README.md and docs/
# make space REMOTE=<git url> - publish the current tree to a Hugging Face Space repository (binaries via git-lfs)
PYTHON ?= python3
REQS := requirements.txt requirements-dev.txt
# One venv per version of the requirements, outside the clone, so the second run is fast (the hash in
# its name is what ties it to the requirements: a fresh clone's newer file times must not rebuild it).
VENV ?= $(HOME)/.cache/vaedemo/venv-$(shell cat $(REQS) | sha256sum | cut -c1-16)
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test test-fast lint bench data static chromium git-lfs redis haproxy axe space venv venv-path clean-venv

venv: $(VENV)/.installed

$(VENV)/.installed:
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(addprefix -r ,$(REQS))
	touch $@

# Streamlit's files compressed and its fonts cut once, kept on disk per Streamlit version (hall/compression.py):
# done when the environment is built, not on the first visitor's time; seconds the first time, nothing after.
static: venv
	$(PY) -m hall.compression

run: venv static
	$(PY) -m streamlit run app.py --server.port $(PORT)

# Fashion-MNIST's offline source is Debian's package (torchvision's download is tried first).
data: venv
	@dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || ! command -v apt-get >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends dataset-fashion-mnist; }
	$(PY) -m vaedemo fetch-data
	$(PY) -m vaedemo fetch-data --dataset fashion

chromium:
	@command -v chromium >/dev/null && command -v chromium-headless-shell >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium chromium-headless-shell; }
	@# a Chinese font, so that the ?lang=zh screenshots show characters rather than boxes
	@fc-list :lang=zh | grep -q . || { apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-wqy-microhei; }

git-lfs:
	@git lfs version >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends git-lfs; }

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

# The room store's tests start their own redis-server; it is not run as a service.
redis:
	@command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server; }

# HAProxy puts several app processes behind one port (webapp/serve.py); the tests start it that way too.
haproxy:
	@PATH=$$PATH:/usr/sbin command -v haproxy >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends haproxy; }

# axe-core, the accessibility engine the browser tests inject into each page (tests/harness/axe.py reads it there).
AXE ?= $(HOME)/.cache/vaedemo/axe
axe:
	@test -f $(AXE)/node_modules/axe-core/axe.min.js || npm install --prefix $(AXE) --no-audit --no-fund axe-core@4.14

# Both cores, a test file to a worker (pytest-xdist): each worker has its own app server, state folder and browser.
TEST_WORKERS ?= 2
test: venv static chromium git-lfs data redis haproxy axe lint
	VAEDEMO_AXE=$(AXE) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

# The inner loop of a change: every test that needs no browser and no app server (pytest -m "not server").
test-fast: venv data redis lint
	VAEDEMO_FAST_TESTS=1 $(PY) -m pytest -m "not server" -n $(TEST_WORKERS) --dist loadfile

space:
	@bash space/publish.sh "$(REMOTE)"

bench: venv static chromium data
	for script in benchmarks/[a-z]*.py; do $(PY) -m benchmarks.$$(basename $$script .py) || exit 1; done

venv-path:
	@echo $(VENV)

clean-venv:
	rm -rf $(VENV)
