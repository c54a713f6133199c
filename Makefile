# The two commands of the README: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench fuzz install clean federation

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/ducha serve

test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto

# Three levels on one machine: province, city and county nats-servers joined by leaf-node links, a node on each.
federation: $(STAMP)
	$(BIN)/ducha federation up --dir var/federation

fuzz: $(STAMP)
	DUCHA_FUZZ_EXAMPLES=$${DUCHA_FUZZ_EXAMPLES:-100} $(BIN)/python -m pytest -q -s tests/api/test_schemathesis.py

bench: $(STAMP)
	$(BIN)/python -m bench --audit-events $${DUCHA_BENCH_AUDIT_EVENTS:-1000000}

clean:
	rm -rf $(VENV) var
