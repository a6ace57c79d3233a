# ganlab course: `make lab` to study, `make test` to check everything (what CI runs).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The install is redone only when pyproject.toml changes: the stamp is named after its hash.
STAMP  := $(VENV)/.installed-$(shell $(PYTHON) -c "import hashlib;print(hashlib.sha256(open('pyproject.toml','rb').read()).hexdigest()[:16])")
LAB_ARGS ?=
# Jupyter refuses to run as root (containers, Colab-like boxes) unless told.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg
# Unit tests and nbval run on every core (pytest-xdist), one torch thread per worker:
# small-batch torch uses a second thread poorly, and the stored outputs do not depend on the
# thread count (checked: nbval passes with 1 and with 2 threads). `loadscope` keeps a
# notebook's cells on one kernel.
PARALLEL := -n auto --dist loadscope

.PHONY: venv lab test test-full unit nbval browser-check book book-check notebooks learner lint bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,coursework,docs]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ganlab)" >/dev/null
	rm -f $(VENV)/.installed-*
	touch $@

# Self-learners start in learner/ (the exercises unsolved); notebooks/ beside it holds the
# solutions.
lab: $(STAMP)
	$(BIN)/jupyter lab learner/00_start_here.ipynb $(ROOT_FLAG) $(LAB_ARGS)

test: unit nbval browser-check book-check

unit: $(STAMP)
	OMP_NUM_THREADS=1 GANLAB_BUDGET=quick $(BIN)/python -m pytest $(PARALLEL) -m "not full_budget" tests/

# The notebooks' GANLAB_BUDGET=full code paths at tiny scale (tests/test_full_budget.py, ~8 min).
test-full: $(STAMP)
	$(BIN)/python -m pytest -m full_budget --durations=10 tests/test_full_budget.py

nbval: $(STAMP)
	OMP_NUM_THREADS=1 GANLAB_BUDGET=quick $(BIN)/python -m pytest $(PARALLEL) $(NBVAL) --durations=10 notebooks/

# The playground in a real browser: JupyterLab + Debian's headless Chromium (installed here
# when missing; nothing is downloaded at run time), Play pressed, screenshots in runs/browser.
# (A Chrome already on the machine, as on GitHub's runners, is used instead.)
CHROMIUM ?= $(firstword $(wildcard /usr/bin/chromium /usr/bin/google-chrome) /usr/bin/chromium)
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser-check: $(STAMP)
	test -x $(CHROMIUM) || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null)
	GANLAB_BUDGET=quick $(BIN)/python scripts/browser_check.py --out runs/browser --chromium $(CHROMIUM)

# The course website from the stored notebooks (docs/; nothing is executed) into _build/html.
# Warnings are errors: a broken cross-reference or anchor, a missing image, bad math fails it.
book: $(STAMP)
	$(BIN)/python -m sphinx -b html -j auto -W --keep-going -q docs _build/html

# The built site in headless Chromium (as browser-check): every page loads without console
# errors, images decode, math is typeset, internal links and anchors resolve, each notebook page
# has its Colab and download links, search finds notebooks; screenshots in runs/book.
book-check: book
	test -x $(CHROMIUM) || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null)
	fc-list :lang=zh | grep -q . || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq fonts-noto-cjk >/dev/null)  # the glossary's Chinese in the screenshots
	$(BIN)/python scripts/book_check.py --site _build/html --out runs/book --chromium $(CHROMIUM)

notebooks: $(STAMP)
	$(BIN)/ganlab run-notebooks notebooks
	$(MAKE) learner

# The learner copies kept in the repository (a test fails when they lag the notebooks).
learner: $(STAMP)
	$(BIN)/ganlab exercises build notebooks --out learner

lint: $(STAMP)
	$(BIN)/ruff check ganlab tests scripts bench notebooks

bench: $(STAMP)
	for f in bench/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache _build docs/notebooks docs/api/generated
