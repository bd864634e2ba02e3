# Every target installs what it needs on a fresh machine (venv, CPU torch, envsound) first.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
ENVSOUND_ESC50 ?= ../shared/data/esc50
export ENVSOUND_ESC50
# The AudioSet checkpoint a user would download; here a local copy stands in for the download.
ENVSOUND_WEIGHTS ?= ../shared/models/efficientat
export ENVSOUND_WEIGHTS

# pytest-xdist workers: the short, single-threaded tests keep both cores busy with two workers
# (test-fast: 92 s serial, 69 s with two, this machine). The whole suite gained nothing from them
# at 4:19, but with the recipe, SED and format tests of 2026-12-07 it takes 7:51 serially and
# 6:13 with two (before the trims made with that measurement), so `test` uses them too.
# Each worker gets its share of the cores for torch's and BLAS's threads (tests/conftest.py): with
# every library taking both cores in each worker, `test` took 6:33 and `test-fast` about 1:40;
# with one thread each, 4:04 and 1:06 (2026-12-07, this machine).
TEST_WORKERS ?= 2

.PHONY: install browser lint docs test test-fast demo bench serve clean

$(VENV)/.installed: pyproject.toml Makefile constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# pinned CPU build first: an unpinned torch would pull a multi-GB CUDA build
	$(PY) -m pip install -q torch==2.13.0
	# constraints.txt: the versions the suite last passed with, so a new release upstream cannot
	# turn CI red overnight (typer 0.29 once turned usage errors into tracebacks)
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Debian's chromium for the browser test (needs root and the Debian registry; skipped otherwise)
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: could not install chromium; the browser test will be skipped outside CI"

# The house's rules: layer contracts (import-linter, in pyproject.toml) and ruff.
lint: install
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check src tests benchmarks scripts

# The docs site (mkdocs.yml): --strict turns a broken link, a missing anchor or a page left out of
# the navigation into a failure. The site goes to site/ (ignored).
docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

test: lint docs browser
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

test-fast: lint
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup -m "not slow"

demo: install
	$(PY) -m envsound.demo

serve: install
	$(PY) -m envsound.cli serve

# Every figure in the README's results (about 15 hours on a 2-core CPU; each step resumes after a stop).
bench: install
	$(PY) benchmarks/esc50_cv.py --name compact_cnn_ema --model compact --epochs 60
	$(PY) benchmarks/esc50_cv.py --name study_cnn --model study_cnn --epochs 30
	$(PY) benchmarks/esc50_cv.py --name mn04_linear_probe --model mn04_probe --cold-cache
	bash benchmarks/finetune.sh
	$(PY) benchmarks/ensemble.py --name mn04_probe_plus_finetune mn04_linear_probe mn04_finetune
	$(PY) benchmarks/ensemble.py --name mn04_all_pretrained mn04_linear_probe mn04_finetune mn04_lpft mn04_lpft_frozen_bn
	bash benchmarks/finetune_seeds.sh
	$(PY) benchmarks/ensemble.py --name mn04_probe_plus_finetune_frozen_bn mn04_linear_probe mn04_finetune_frozen_bn
	bash benchmarks/trust.sh
	$(PY) benchmarks/esc50_cv.py --name mn04_probe_views --config configs/mn04_probe_views.json --cold-cache
	$(PY) benchmarks/ensemble.py --name mn04_probe_views_plus_finetune mn04_probe_views mn04_finetune
	bash benchmarks/classic.sh
	$(PY) benchmarks/esc50_cv.py --name two_branch --model two_branch --epochs 60
	bash benchmarks/augmentation.sh
	$(PY) benchmarks/augmentation_speed.py
	$(PY) benchmarks/feature_cache.py
	$(PY) benchmarks/inference.py
	$(PY) benchmarks/serve_load.py
	$(PY) benchmarks/table.py --readme

clean:
	rm -rf $(VENV) runs .pytest_cache
