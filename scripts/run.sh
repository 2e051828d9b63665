#!/usr/bin/env bash
# One command for a fresh machine: set up, then start the chat app on the bundled report and index.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python app.py "$@"
