# Oh My Queue: two commands on a fresh machine.
#   make demo   set everything up, build the slides, run the demo server
#   make test   set everything up (plus a Chromium and nginx), run the whole test suite
# Every step is idempotent and skipped when its inputs have not changed; steps
# print only what needs reading (the project's own messages, tools' errors).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
ARGS   ?=

.PHONY: demo test setup slides chromium nginx clean bench

demo: setup slides
	@$(PY) -m demo serve $(ARGS)

test: setup chromium nginx
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests; that is a failure"; exit 1; fi; \
	exit $$rc

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { echo "make: Python 3.10+ is needed as $(PYTHON); set PYTHON=/path/to/python3.x"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "make: npm is needed for the browser libraries; install Node.js (apt-get install nodejs npm)"; exit 1; }
	@npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null  # errors go to stderr
	@touch $@

slides: setup
	@$(PY) build_slides.py slides --out site

# Debian packages for the tests, installed when run as root with apt-get.
# apt and debconf talk a lot: their output is shown only when they fail.
APT_INSTALL = log=$$(mktemp); \
	if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); } \
		>$$log 2>&1; then rm -f $$log; else cat $$log; rm -f $$log; exit 1; fi

# Playwright's own Chromium if it has one, else Debian's chromium package.
chromium: setup
	@$(PY) -m slidekit.browser --check >/dev/null 2>&1 && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "make: installing Debian's chromium package for the browser tests"; \
		$(call APT_INSTALL,chromium); \
	fi; \
	$(PY) -m slidekit.browser --check

# Debian's nginx, for the scale-out recipe the tests run (deploy/nginx.conf).
# Only its binary is used: the tests run it as themselves on a free port.
nginx:
	@PATH="$$PATH:/usr/sbin" command -v nginx >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "make: installing Debian's nginx package for the scale-out test"; \
		$(call APT_INSTALL,--no-install-recommends nginx); \
	else \
		echo "make: nginx is needed for tests/test_deploy_nginx.py: install it (apt-get install nginx)"; exit 1; \
	fi

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf site instance .pytest_cache

# --- issue 11 (projector): pictures of everything the projector shows -------
# The deck's overview, every widget slide and the dashboard in each theme, into
# site/screenshots/ (open index.html there); not part of `make test`.
.PHONY: screenshots
screenshots: setup chromium slides
	$(PY) tools/screenshots.py --out site/screenshots
