"""`qa ask` as a shell user meets it: pipes closed early, empty questions, short readable output."""

from __future__ import annotations

import os
import subprocess
import sys

from qa.settings import PROJECT_ROOT

GDP_2020 = "2020年杭州地区生产总值增长多少？"


def qa(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa.cli", *args], cwd=PROJECT_ROOT, timeout=300, check=False,
                          text=True, **{"capture_output": True, **kwargs})


def test_a_pipe_closed_before_the_answer_ends_quietly():
    """`qa ask … | head -1` ended in a BrokenPipeError traceback. Here the reading end is closed before anything is
    written, so the write fails every time, not only when head wins the race."""
    read, write = os.pipe()
    os.close(read)
    try:
        result = qa("ask", GDP_2020, stdout=write, stderr=subprocess.PIPE, capture_output=False)
    finally:
        os.close(write)
    assert result.stderr == ""
    assert result.returncode == 141


def test_the_first_line_through_head_is_the_answer():
    result = subprocess.run(f'{sys.executable} -m qa.cli ask "{GDP_2020}" | head -1', shell=True, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=300, check=False)
    assert "3.9%" in result.stdout and result.stdout.count("\n") == 1
    assert "Traceback" not in result.stderr and "Error" not in result.stderr


def test_an_empty_question_is_an_error_with_an_example():
    for question in ("", "  \t"):
        result = qa("ask", question)
        assert result.returncode != 0
        assert "问题是空的" in result.stderr and "qa ask" in result.stderr and result.stdout == ""


def test_default_output_is_short_and_full_shows_paragraphs():
    short = qa("ask", GDP_2020)
    assert short.returncode == 0, short.stderr
    lines = short.stdout.splitlines()
    assert "3.9%" in lines[0] and "2020年实绩" in lines[0]
    citations = [line for line in lines[1:] if line.strip()]
    assert citations and all(line.startswith(f"[{n}] ") for n, line in enumerate(citations, 1))
    first = citations[0]
    assert "一、2020年工作及“十三五”发展回顾" in first and first.endswith("全年地区生产总值增长3.9%")
    assert "一般公共预算收入增长6.5%" not in first  # the answering sentence, not its paragraph
    assert all(len(line) < 220 for line in citations)

    full = qa("ask", "--full", GDP_2020)
    assert full.returncode == 0 and "【全年地区生产总值增长3.9%】，一般公共预算收入增长6.5%" in full.stdout
    assert len(full.stdout) > 2 * len(short.stdout)
