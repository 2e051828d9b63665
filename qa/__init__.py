"""报告问答: answer questions about a government work report, citing the paragraphs that say it.

    from qa import load_index, ask
    index = load_index()
    print(ask(index, "2020年杭州地区生产总值增长多少？").text)
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["ask", "build_index", "load_index"]


def __getattr__(name: str):
    # Lazy, so `import qa` (and `qa --help`) does not pull in torch or faiss.
    if name in __all__:
        from qa import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)
