"""The README keeps its promises: every setting documented, the two commands present and real."""

from __future__ import annotations

from dataclasses import fields

from qa.settings import PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    for f in fields(Settings):
        assert f"`{f.metadata['env']}`" in README, f.name
        assert f"`{f.name}`" in README, f.name


def test_the_two_commands_exist_and_ci_runs_the_test_command():
    assert "bash scripts/run.sh" in README and "bash scripts/test.sh" in README
    assert (PROJECT_ROOT / "scripts" / "run.sh").is_file()
    assert "scripts/test.sh" in (PROJECT_ROOT / ".ci" / "run").read_text()
