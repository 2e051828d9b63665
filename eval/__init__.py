"""Evaluation of the QA pipeline on a hand-written question set: `python -m eval` (see eval/__main__.py)."""
