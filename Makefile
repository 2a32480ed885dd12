# The two commands: `make run` and `make test`. Both install what they need first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install lint browser-deps compose-deps bench screenshots clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $@

install: $(STAMP)

# Start every process of the Procfile on the embedded defaults (SQLite, file-system broker,
# the local MTurk). Ctrl-C stops them all.
# The local SQS (moto, Procfile `sqs`) keeps queues in memory: the emulator process creates this
# one when moto is up (`--ensure-sqs-queue` in the Procfile); the Local MTurk account polls it.
LOCAL_SQS_QUEUE_URL := http://127.0.0.1:8002/123456789012/mturk-local

run: export DEBUG ?= 1
run: export EMULATOR_CROWD ?= on
run: install
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py bootstrap --sqs-queue-url $(LOCAL_SQS_QUEUE_URL)
	@echo "Sign in at http://127.0.0.1:8000/ (local MTurk on http://127.0.0.1:8001/; its control token is in $${MTURKDASH_VAR_DIR:-var}/emulator-control-token)"
	$(BIN)/honcho start -f Procfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Headless Chromium for the browser tests, from Debian's packages when we may install them.
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "chromium is not installed: browser tests will be skipped (apt-get install chromium)"; \
		fi; \
	fi

# docker-compose (Debian's 1.29) validates docker-compose.yml in tests/test_deployment.py.
compose-deps:
	@if ! command -v docker-compose >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; \
		else \
			echo "docker-compose is not installed: its config check will be skipped (apt-get install docker-compose)"; \
		fi; \
	fi

test: install browser-deps compose-deps lint
	$(BIN)/pytest -n 2

bench: install
	$(BIN)/python benchmarks/run.py

# The README's screenshots (docs/screenshots/), taken by the journey test in headless Chromium.
# Its own scratch directory and queue, so a `make run` beside it takes none of its tasks.
screenshots: install browser-deps
	MTURKDASH_VAR_DIR=var/screenshots CELERY_TASK_DEFAULT_QUEUE=screenshots \
		SCREENSHOTS=1 REQUIRE_BROWSER=1 $(BIN)/pytest tests/test_journey.py \
		tests/review/decisions/test_results_browser.py tests/batches/test_gallery_browser.py \
		tests/studies/test_study_journey_browser.py tests/batches/test_waves_browser.py \
		tests/batches/test_fair_pay_browser.py \
		-p no:xdist

clean:
	rm -rf $(VENV) var staticfiles
