# Set-up is part of each target: a fresh clone needs only `make demo` or `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.neurodl-installed
DEMO   ?= demo-output

.PHONY: demo test lint typecheck unit install clean docs docs-quick docs-clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]" "torch==2.13.0"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/neurodl demo -o $(DEMO)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks examples docs
	$(VENV)/bin/ruff format --check src tests benchmarks examples docs

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	NEURODL_REQUIRE_DOCS=$(REQUIRE_DOCS) OMP_NUM_THREADS=1 MPLBACKEND=Agg $(VENV)/bin/pytest -n 2 -q --doctest-modules src/neurodl tests

# CI runs this: the quick docs build (warnings are errors) comes before pytest, whose site tests
# then require the built site
test: REQUIRE_DOCS := 1
test: lint typecheck docs-quick unit

# The documentation site (docs/_build/html/index.html): user guide, gallery (every example is run
# and its figures embedded) and API reference. Warnings are errors. docs-quick runs the gallery
# at quick sizes (CI); both build offline.
SPHINXBUILD := OMP_NUM_THREADS=1 MPLBACKEND=Agg $(VENV)/bin/sphinx-build
DOCSOPTS    ?= -W --keep-going -q -j 2

docs: $(STAMP)
	NEURODL_DOCS_QUICK=0 $(SPHINXBUILD) -b html $(DOCSOPTS) docs docs/_build/html
	@echo "docs: file://$(CURDIR)/docs/_build/html/index.html"

docs-quick: $(STAMP)
	NEURODL_DOCS_QUICK=1 $(SPHINXBUILD) -b html $(DOCSOPTS) docs docs/_build/html
	@echo "docs: file://$(CURDIR)/docs/_build/html/index.html"

docs-clean:
	rm -rf docs/_build docs/auto_examples docs/api docs/gen_modules docs/sg_execution_times.rst

clean: docs-clean
	rm -rf $(VENV) $(DEMO) .mypy_cache .ruff_cache .pytest_cache
