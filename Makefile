# The two commands: `make demo` and `make test`. Both install what they need through `make setup` (virtualenv,
# Python packages, the Pulumi engine built from the Go module proxy); `make test` also through `make test-setup`
# (the object-store servers the suite starts, and Debian's Chromium for the dashboard test).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: setup test-setup demo test test-unit test-e2e lint clean

setup: $(VENV)/.installed .tools/bin/pulumi-ready

# What only the test suite needs: the object-store servers and a browser.
test-setup: setup .tools/servers-ready .tools/chromium-ready

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# tools/build.sh rebuilds only when the pinned version (tools/go.mod) or our host's source change.
.tools/bin/pulumi-ready: FORCE
	bash tools/build.sh

# tools/servers.sh: the object-store servers the suite starts (fake-gcs-server from Go modules, Azurite from
# npm), reinstalled only when their pins change.
.tools/servers-ready: FORCE
	bash tools/servers.sh

# The dashboard test (tests/e2e/test_dashboard.py) opens the page in Debian's Chromium through the system
# chromedriver; CI starts from a clean machine as root, so install them when missing.
.tools/chromium-ready:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver; \
	  else echo "install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"; exit 1; fi; \
	fi
	mkdir -p .tools && touch $@

FORCE:

# The sample stacks are encrypted with the demo's published passphrase; nothing else uses it.
demo: setup
	PULUMI_CONFIG_PASSPHRASE=cloudlink-demo $(BIN)/cloudlink demo

lint: setup
	$(BIN)/lint-imports

test: test-setup lint
	$(BIN)/pytest -q $(PYTEST_ARGS)

test-unit: test-setup
	$(BIN)/pytest -q tests/unit $(PYTEST_ARGS)

test-e2e: test-setup
	$(BIN)/pytest -q tests/e2e $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .tools .state .emulator *.egg-info
