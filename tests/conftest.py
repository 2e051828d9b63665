"""Shared fixtures: the real committed index with the real model, loaded once per session."""

from __future__ import annotations

import json

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


@pytest.fixture(scope="session")
def saved_before_measures():
    """Make a saved index folder as a version before the figures' measures saved it: no indicators files, and a
    manifest that does not list them."""
    def strip(folder) -> None:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        for name in ("indicators.json", "indicators.npy"):
            (folder / name).unlink()
            del manifest["files"][name]
        (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")

    return strip
