"""Helpers shared by bench/bench.py and bench/load.py: machine facts, percentiles, ports, memory."""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
EVAL = ROOT / "eval" / "qa.jsonl"


def git_head() -> str:
    """`git rev-parse --short HEAD`, read from .git directly (these scripts run no git command)."""
    git = ROOT / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if head.startswith("ref: "):
            ref = head[5:]
            if (git / ref).is_file():
                return (git / ref).read_text().strip()[:7]
            for line in (git / "packed-refs").read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split()[0][:7]
            return "?"
        return head[:7]
    except OSError:
        return "?"


def machine() -> dict:
    model = "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")), "?")
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d %H:%M %Z"), "head": git_head(), "loadavg": os.getloadavg()}


def pct(values, q: float) -> float:
    """The q-th percentile (0-100), by linear interpolation; nan for no values."""
    values = sorted(values)
    if not values:
        return float("nan")
    pos = (len(values) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vm_hwm_mib(pid: int) -> float | None:
    """Peak resident memory of a running process (VmHWM), in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_peak(cmd: list[str], env: dict | None = None, cwd: Path = ROOT, timeout: float = 7200) -> dict:
    """Run a command and wait for it with os.wait4: exit code, wall time, exact peak RSS (MiB), output files."""
    import tempfile

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, text=True)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"rc": proc.returncode, "seconds": seconds, "peak_rss_mib": usage.ru_maxrss / 1024,
                "stdout": out.read(), "stderr": err.read()}


def worker(name: str, args: dict, env: dict | None = None, timeout: float = 7200) -> dict:
    """Run `bench.py --worker name` in a fresh process; its last stdout line is a JSON result."""
    cmd = [PYTHON, str(ROOT / "bench" / "bench.py"), "--worker", name, "--args", json.dumps(args)]
    result = run_peak(cmd, env={**os.environ, **(env or {})}, timeout=timeout)
    if result["rc"] != 0:
        raise RuntimeError(f"worker {name} failed ({result['rc']}):\n{result['stderr'][-3000:]}")
    data = json.loads(result["stdout"].strip().splitlines()[-1])
    data["_peak_rss_mib"] = result["peak_rss_mib"]
    data["_seconds"] = result["seconds"]
    return data


def eval_items() -> list[dict]:
    return [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]


def table(headers: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


RESULTS_MD = ROOT / "bench" / "RESULTS.md"


def write_generated_block(begin: str, end: str, body: str) -> None:
    """Replace the text between `begin` and `end` in bench/RESULTS.md (or append it), leaving the rest as written."""
    generated = f"{begin}\n{body}{end}"
    text = RESULTS_MD.read_text(encoding="utf-8") if RESULTS_MD.exists() else "# Benchmark results\n\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + generated + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + generated + "\n"
    RESULTS_MD.write_text(text, encoding="utf-8")
