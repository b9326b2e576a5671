# Two commands do all the set-up: `make preflight` and `make test` each create the virtualenv
# (from pyproject.toml's pinned dependencies) when it is missing or stale.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STACK  ?= dev

.PHONY: preflight preflight-all test lint docs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

preflight: $(VENV)/.installed
	$(PY) -m stacks.preflight $(STACK)

preflight-all: $(VENV)/.installed
	$(PY) -m stacks.preflight --all --no-tree

test: $(VENV)/.installed
	$(PY) -m pytest -n 2

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Every generated file, in dependency order: the policy config files gain entries for new rules
# (levels already set are kept), the policy reference reads them, and the config reference comes from
# the settings models and the environment profiles. Tests fail when any of them is stale.
docs: $(VENV)/.installed
	$(PY) -m policy.envconfig
	$(PY) -m policy.docs
	$(PY) -m stacks.config.docs

clean:
	rm -rf $(VENV) *.egg-info reports
