#!/usr/bin/env bash
# Set up (or refresh) the project's virtual environment in .venv. Safe to run again: when .venv was set up from
# this same pyproject.toml, set-up script and Python, it does nothing (pip took 20-30 s even with nothing to do).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
STAMP=.venv/.report-qa-setup
want=$( (cat pyproject.toml scripts/setup.sh; .venv/bin/python -VV) | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi
# torch first and pinned: 2.13.0 is the CPU build on this disk; an unpinned torch pulls GBs of CUDA.
.venv/bin/pip install --quiet torch==2.13.0
.venv/bin/pip install --quiet -e ".[test]"
echo "$want" > "$STAMP"  # written only after both installs succeeded
