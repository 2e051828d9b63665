#!/usr/bin/env bash
# One command for a fresh machine: set up, run the tests, then the evaluation gate.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The browser test drives Debian's Chromium; install it where we may (it skips, saying why, if absent).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) || echo "could not install chromium" >&2
fi
.venv/bin/python -m pytest "$@"
.venv/bin/python -m eval
