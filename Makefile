# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test venv bench clean docs-img

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n 2 -q

demo: $(STAMP)
	$(PY) examples/demo.py

# the pictures in README.md and docs/notebooks.md (docs/img/*.png), made from the demo's story
docs-img: $(STAMP)
	$(PY) examples/docs_images.py

bench: $(STAMP)
	$(PY) benchmarks/packaging.py

clean:
	rm -rf $(VENV) build dist .pytest_cache
