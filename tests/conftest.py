"""Shared fixtures: the real committed index with the real model, loaded once per session."""

from __future__ import annotations

import pytest

from qa.settings import PROJECT_ROOT

REPORT = PROJECT_ROOT / "data" / "hangzhou-2021-government-work-report.txt"


@pytest.fixture(scope="session")
def real_index():
    from qa.pipeline import embedder_for, load_index

    index = load_index(PROJECT_ROOT / "index")
    embedder_for(index).embed_queries(["预热"])  # load the model and run it once: a cold first run can take seconds
    return index


@pytest.fixture(scope="session")
def document():
    from qa.source import parse_document

    return parse_document(REPORT)
