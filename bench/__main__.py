"""`python -m bench`: every section (or --only some) in fresh worker processes, merged into bench/results.json.

    nice -n 10 .venv/bin/python -m bench --markdown                     # everything (about an hour on 2 cores)
    nice -n 10 .venv/bin/python -m bench --quick                        # smaller sizes and samples (a few minutes)
    nice -n 10 .venv/bin/python -m bench --only query,search --markdown

Each section runs its measurements in a fresh worker process (`python -m bench.<section> --worker NAME`), so
peak memory is per section and one section's thread pools do not leak into the next. Results are merged into
bench/results.json (one key per section); `--markdown` rewrites the generated part of bench/RESULTS.md from all
sections present there. Times are medians unless a column says otherwise; the machine is shared, so the load
average at the start of each section is recorded with it.
"""

from __future__ import annotations

import sys

from bench import SECTIONS
from bench.common import main

if __name__ == "__main__":
    sys.exit(main(list(SECTIONS), description=__doc__.splitlines()[0]))
