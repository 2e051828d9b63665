"""Benchmarks, one module per section (bench/<section>.py), the shared pieces in bench/common.py.

    nice -n 10 .venv/bin/python -m bench --markdown               # every section, ~1 h on 2 cores
    nice -n 10 .venv/bin/python -m bench.query --quick            # one section, smaller
    nice -n 10 .venv/bin/python -m bench.load --matrix --markdown # the load test (its own results and table)

Run from the repository root. Results and how they were measured: bench/RESULTS.md.
"""

# the sections `python -m bench` runs, in this order; their tables appear in bench/RESULTS.md in the same order
SECTIONS = ("model", "build", "query", "coldstart", "askmem", "growth", "corpus", "routing", "search", "hnswtune", "speedups")
