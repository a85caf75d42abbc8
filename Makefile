# Two commands do everything on a fresh machine:
#   make demo   set up the environment if needed, then run the main job
#   make test   set up the environment if needed, then run the test suite
# `make env` only builds the environment (tools/setup_env.sh; cached mmcv build).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.eba-setup-complete
SETUP_INPUTS := tools/setup_env.sh setup.py $(wildcard requirements/*.txt)
PYTEST_ARGS ?= -n 2

.PHONY: env demo test clean-env

env: $(STAMP)

$(STAMP): $(SETUP_INPUTS)
	bash tools/setup_env.sh $(VENV)

demo: $(STAMP)
	$(PY) tools/run_demo.py

# Two pytest runs, each with fresh -n 2 workers: in one run of the whole suite, the xdist
# worker that reaches the heavy export tests late in its life dies ("node down: Not properly
# terminated", no segfault or OOM in dmesg), whichever of them it is; with fresh workers they
# pass. Open defect, see the closing note of stop 14.
test: $(STAMP)
	$(PY) -m pytest tests $(PYTEST_ARGS) --ignore=tests/tools
	$(PY) -m pytest tests/tools $(PYTEST_ARGS)

clean-env:
	rm -rf $(VENV)
