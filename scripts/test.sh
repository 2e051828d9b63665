#!/usr/bin/env bash
# One command for a fresh machine: set up, run the tests, then the evaluation gate.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The browser test drives Debian's Chromium; install it where we may (it skips, saying why, if absent).
# This is the one system-wide change the project makes, so it says so (README, "System-wide install").
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing chromium and fonts-noto-cjk system-wide with apt-get, for the browser test" >&2
  (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) || echo "could not install chromium" >&2
fi
.venv/bin/python -m pytest "$@"
.venv/bin/python -m eval
