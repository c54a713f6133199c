# The two commands of the README: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench fuzz install clean federation promtool

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

# promtool checks deploy/prometheus/ (tests/api/test_alert_rules.py runs it when present): taken
# from Debian's prometheus package, unpacked, not installed (no server, no service).
promtool: $(BIN)/promtool

$(BIN)/promtool: $(STAMP)
	tmp=$$(mktemp -d) && cd $$tmp && apt-get download prometheus && dpkg-deb -x prometheus_*.deb root \
	  && cp root/usr/bin/promtool $(CURDIR)/$(BIN)/promtool && rm -rf $$tmp

clean:
	rm -rf $(VENV) var
