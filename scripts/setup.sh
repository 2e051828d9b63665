#!/usr/bin/env bash
# Set up (or refresh) the project's virtual environment in .venv. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# torch first and pinned: 2.13.0 is the CPU build on this disk; an unpinned torch pulls GBs of CUDA.
.venv/bin/pip install --quiet torch==2.13.0
.venv/bin/pip install --quiet -e ".[test]"
