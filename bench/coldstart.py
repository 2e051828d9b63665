"""Cold start: `python app.py` until the first answer is served through the API, and its peak memory.

    nice -n 10 .venv/bin/python -m bench.coldstart --markdown          # this section, then bench/RESULTS.md
    nice -n 10 .venv/bin/python -m bench.coldstart --quick             # smaller sizes and samples
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (
    PYTHON,
    ROOT,
    free_port,
    main,
    table,
    vm_hwm_mib,
)

MODULE = "bench.coldstart"


def run(quick: bool) -> dict:
    runs = [_cold_start({}) for _ in range(1 if quick else 2)]
    runs.append(_cold_start({"QA_THREADS": "1"}))
    return {"runs": runs}


def _cold_start(extra_env: dict) -> dict:
    from gradio_client import Client

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as data:
        env = {**os.environ, "QA_PORT": str(port), "QA_HOST": "127.0.0.1", "QA_DATA_DIR": data,
               "GRADIO_ANALYTICS_ENABLED": "False", **extra_env}
        log = open(Path(data) / "app.log", "w")
        t0 = time.perf_counter()
        proc = __import__("subprocess").Popen([PYTHON, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=log)
        first = port_open = None
        try:
            while time.perf_counter() - t0 < 600 and proc.poll() is None:
                try:
                    client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                    port_open = port_open or time.perf_counter() - t0
                    result = client.predict("2020年杭州地区生产总值增长多少？", [], api_name="/ask")
                    if "3.9%" in result["answer"]:
                        first = time.perf_counter() - t0
                        break
                except Exception:
                    time.sleep(0.25)
            peak = vm_hwm_mib(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except Exception:
                proc.kill()
            log.close()
    return {"env": extra_env, "first_answer_s": first, "client_connected_s": port_open, "peak_rss_mib": peak}


def render(res: dict) -> str:
    return "### Cold start of `python app.py` until the first answer is served\n\n" + table(
        ["env", "client connects s", "first answer s", "peak RSS MiB (VmHWM)"],
        [[" ".join(f"{k}={v}" for k, v in r["env"].items()) or "(as shipped)", f"{r['client_connected_s'] or float('nan'):.1f}",
          f"{r['first_answer_s'] or float('nan'):.1f}", f"{r['peak_rss_mib'] or float('nan'):.0f}"] for r in res["runs"]])


WORKERS = {}

if __name__ == "__main__":
    sys.exit(main(["coldstart"], description=__doc__.splitlines()[0]))
