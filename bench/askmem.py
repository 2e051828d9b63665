"""`qa ask`: one question in a fresh process, wall time and peak memory.

    nice -n 10 .venv/bin/python -m bench.askmem --markdown          # this section, then bench/RESULTS.md
    nice -n 10 .venv/bin/python -m bench.askmem --quick             # smaller sizes and samples
"""

from __future__ import annotations

import os
import sys

from bench.common import (
    PYTHON,
    main,
    median,
    run_peak,
    table,
)

MODULE = "bench.askmem"


def run(quick: bool) -> dict:
    runs = []
    for _ in range(1 if quick else 3):
        r = run_peak([PYTHON, "-m", "qa.cli", "ask", "2020年杭州地区生产总值增长多少？"], env=dict(os.environ))
        runs.append({"rc": r["rc"], "seconds": r["seconds"], "peak_rss_mib": r["peak_rss_mib"]})
    return {"runs": runs}


def render(res: dict) -> str:
    runs = res["runs"]
    return "### `qa ask` (one question, fresh process)\n\n" + table(
        ["runs", "wall s (median)", "peak RSS MiB (median)", "exit codes"],
        [[len(runs), f"{median([r['seconds'] for r in runs]):.1f}", f"{median([r['peak_rss_mib'] for r in runs]):.0f}",
          ",".join(str(r["rc"]) for r in runs)]])


WORKERS = {}

if __name__ == "__main__":
    sys.exit(main(["askmem"], description=__doc__.splitlines()[0]))
