# Doorman: every target sets itself up first, so a fresh machine needs only Python 3.11, node and npm.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.doorman-installed
NODE_STAMP := node_modules/.doorman-installed
APT_PACKAGES := gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
	gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-rtsp gstreamer1.0-libav \
	gir1.2-gst-rtsp-server-1.0 python3-gi ffmpeg chromium mosquitto
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup apt test unit demo synth bench lint format clean

# apt first: system packages never depend on the venv, and a bare Debian may need them.
setup: apt $(PY_STAMP) $(NODE_STAMP)

# The stamp depends on the requirement files: change a pin and the venv is refreshed.
$(PY_STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
		rm -rf $(VENV); $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV); fi
	@$(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { \
		echo "make: Doorman needs Python 3.11 (found $$($(PY) -V)); set PYTHON=/path/to/python3.11" >&2; \
		rm -rf $(VENV); exit 1; }
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	# face_recognition pins dlib (a 10+ minute source build); dlib-bin provides it prebuilt.
	$(PY) -m pip install --quiet --no-deps face_recognition==1.3.0
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -c 'import face_recognition, cv2, boto3, aws_cdk, cdk_nag'
	@touch $@

# npm ci installs exactly package-lock.json and never rewrites it.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $@

# Checked every time (a few dpkg queries); installs only what is missing. A removed package
# keeps its config files and `dpkg -s` still succeeds, so ask for the real install status.
apt:
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "apt: installing $$missing"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# Style, then the shape: types (mypy, cached in .mypy_cache) and the import layering
# (import-linter's contracts in pyproject.toml).
lint: $(PY_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-logo

format: $(PY_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# pytest exits 5 when it collects nothing; that is a failure for us, not a pass.
test: setup lint
	@$(PY) -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

unit: $(PY_STAMP)
	$(PY) -m pytest tests/unit -q

demo: setup
	$(PY) -m localcloud.demo

synth: setup
	$(PY) -m infra.synth

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) node_modules cdk.out demo-report .mypy_cache .import_linter_cache
