# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo demo-aws test venv bench soak clean docs-img

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n 2 -q

# 200 seeded kills of a deployer, in both modes; the summary line is the last line (docs/RELIABILITY.md)
soak: $(STAMP)
	$(PY) -m tests.faults.kill_harness --kills 200 --seed $${SEED:-1}

demo: $(STAMP)
	$(PY) examples/demo.py

# the pictures in README.md and docs/notebooks.md (docs/img/*.png), made from the demo's story
docs-img: $(STAMP)
	$(PY) examples/docs_images.py

demo-aws: $(STAMP)
	$(PY) examples/aws_demo.py

bench: $(STAMP)
	$(PY) benchmarks/packaging.py

clean:
	rm -rf $(VENV) build dist .pytest_cache

# Hostile input: every corpus case, with its summary line (docs/RELIABILITY.md, "Hostile input").
hostile: $(STAMP)
	$(PY) -m tests.hostile.corpus

# Races: the full race harness (docs/RELIABILITY.md, "Races"); make test runs a reduced form.
race: $(STAMP)
	$(PY) -m tests.faults.race_harness --workers 12 --operations 40 --seed 1
