# Every target installs what it needs on a fresh machine (venv, CPU torch, envsound) first.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
ENVSOUND_ESC50 ?= ../shared/data/esc50
export ENVSOUND_ESC50
# The AudioSet checkpoint a user would download; here a local copy stands in for the download.
ENVSOUND_WEIGHTS ?= ../shared/models/efficientat
export ENVSOUND_WEIGHTS

.PHONY: install test test-fast demo bench clean

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# pinned CPU build first: an unpinned torch would pull a multi-GB CUDA build
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

test: install
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not slow"

demo: install
	$(PY) -m envsound.demo

bench: install
	$(PY) benchmarks/esc50_cv.py --name compact_cnn --model compact
	$(PY) benchmarks/esc50_cv.py --name study_cnn --model study_cnn --epochs 30

clean:
	rm -rf $(VENV) runs .pytest_cache
