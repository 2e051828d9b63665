"""The systems compared: the pipeline in a given retrieval mode, and a typical tutorial RAG."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.pipeline import ask, embedder_for, search
from qa.settings import PROJECT_ROOT
from qa.source import parse_document


@dataclass(frozen=True)
class Reply:
    text: str
    found: bool
    cited_text: str = ""  # the first citation's text
    cited_id: str = ""
    cited_period: str = ""
    confidence: float | None = None  # the pipeline's own confidence, for calibrating abstention


class PipelineSystem:
    """`qa.pipeline.ask` / `search` in one mode ("hybrid" is the pipeline itself)."""

    def __init__(self, index, mode: str = "hybrid", name: str | None = None, report: str | None = None):
        self.index, self.mode, self.name, self.report = index, mode, name or mode, report

    def ask(self, question: str, history=()) -> Reply:
        a = ask(self.index, question, history, mode=self.mode, report=self.report)
        c = a.citations[0] if a.citations else None
        return Reply(a.text, a.found, c.text if c else "", c.paragraph_id if c else "", c.period if c else "",
                     getattr(a, "confidence", None))

    def search(self, question: str, history=(), k: int = 10) -> list[str]:
        index = self.index.view([self.report]) if self.report else self.index
        return [h.chunk.text for h in search(index, question, history, mode=self.mode, k=k)[1]]


class TutorialRAG:
    """RecursiveCharacterTextSplitter(1000, 200) over the cleaned text, same embedder, exact FAISS IP;
    the top chunk is the answer and its citation; no history, never abstains."""

    name = "tutorial"

    def __init__(self, index):
        import faiss
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        # The tutorial settings; the installed version's own default chunk_size is 4000.
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        self.chunks: list[str] = []
        for source in index.manifest["sources"]:
            path = Path(source["path"])
            document = parse_document(path if path.is_absolute() else PROJECT_ROOT / path)
            self.chunks += splitter.split_text("\n\n".join(p.text for p in document.paragraphs))
        self.embedder = embedder_for(index)
        vectors = self.embedder.embed_passages(self.chunks)
        self.faiss = faiss.IndexFlatIP(vectors.shape[1])
        self.faiss.add(vectors)

    def _top(self, question: str, k: int) -> list[int]:
        _, rows = self.faiss.search(self.embedder.embed_queries([question]), min(k, len(self.chunks)))
        return [int(r) for r in rows[0] if r >= 0]

    def ask(self, question: str, history=()) -> Reply:
        top = self._top(question, 1)
        if not top:
            return Reply("", False)
        text = self.chunks[top[0]]
        return Reply(text, True, text, f"tutorial#c{top[0]}", "")

    def search(self, question: str, history=(), k: int = 10) -> list[str]:
        return [self.chunks[r] for r in self._top(question, k)]
