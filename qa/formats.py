"""File formats: the text of a saved web page (.html), a Word file (.docx) or a PDF's text layer (.pdf).

Each reader returns the report as plain lines (one paragraph a line) plus what the file says of itself
(title, source address), for the source stage to clean and structure like any .txt report. The libraries
(trafilatura, python-docx, pypdf) are imported only when such a file is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import SourceError

HTML = (".html", ".htm")
DOCX = (".docx",)
PDF = (".pdf",)
FORMATS = HTML + DOCX + PDF
SENTENCE_END = "。！？；：!?;:”’）)"
# A PDF line at least this share of the page's longest line ran to the margin: the paragraph goes on.
FULL_LINE = 0.8
PDF_PART = re.compile(r"^([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d{1,2}[\.．、](?!\d)|[①-⑳])")


@dataclass(frozen=True)
class Extracted:
    """A file's report text, one paragraph a line, and the metadata the file itself carries."""

    text: str
    meta: dict = field(default_factory=dict)  # title, source_url, when the file says them


def extract(path: Path, raw: bytes) -> Extracted:
    suffix = path.suffix.lower()
    if suffix in HTML:
        return html_text(path, raw)
    if suffix in DOCX:
        return docx_text(path)
    return pdf_text(path)


def html_text(path: Path, raw: bytes) -> Extracted:
    """The page's article, found by trafilatura (menus, footers, related links and comments left out).

    Its <title> often carries the site's name ("2026年江苏省政府工作报告_江苏省人民政府"): only the part
    naming a 报告 is kept. An article that does not start with its title gets it as its first line.
    """
    import trafilatura

    if not raw.strip():
        raise SourceError(f"{path} is empty: save the whole web page (.html) again, or pass the report as .txt")
    try:
        found = trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False, include_tables=True,
                                            favor_recall=True)
    except Exception as exc:  # lxml and trafilatura raise many kinds for a page they cannot parse
        raise SourceError(f"{path} is not a readable web page ({type(exc).__name__}): save it again as .html") from exc
    text = (getattr(found, "text", None) or "").strip() if found is not None else ""
    if not text:
        raise SourceError(f"{path} holds no article text: is it the report's own page? Save the page that shows "
                          "the report, or copy its text into a .txt file")
    title = _report_title(getattr(found, "title", None) or "")
    if title and title not in text[:500]:
        text = f"{title}\n{text}"
    meta = {"title": title} if title else {}
    if url := getattr(found, "url", None):
        meta["source_url"] = url
    return Extracted(text, meta)


def _report_title(title: str) -> str:
    """"2026年江苏省政府工作报告_江苏省人民政府" -> "2026年江苏省政府工作报告"; "" if no part names a report."""
    parts = [p.strip() for p in re.split(r"\s*[_|｜]\s*|\s+[-—–]\s+", title) if p.strip()]
    return next((p for p in parts if "报告" in p), "")


def docx_text(path: Path) -> Extracted:
    """Every paragraph of the body and every table row (cells joined by tabs), in document order."""
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
        body = document.element.body
        lines = []
        for block in body.iterchildren():
            tag = block.tag.rsplit("}", 1)[-1]
            if tag == "p":
                lines.append("".join(t.text or "" for t in block.iter() if t.tag.endswith("}t")))
            elif tag == "tbl":
                for row in block.iter():
                    if row.tag.endswith("}tr"):
                        cells = ["".join(t.text or "" for t in c.iter() if t.tag.endswith("}t"))
                                 for c in row.iterchildren() if c.tag.endswith("}tc")]
                        lines.append("\t".join(cells))
        title = (document.core_properties.title or "").strip()
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SourceError(f"{path} is not a readable Word document ({type(exc).__name__}): open it in Word or "
                          "LibreOffice and save it again as .docx (an old .doc must be converted)") from exc
    text = "\n".join(line.strip() for line in lines)
    if not text.strip():
        raise SourceError(f"{path} holds no text: is the report in it as pictures? Pass it as .txt or .pdf with text")
    return Extracted(text, {"title": title} if "报告" in title else {})


def pdf_text(path: Path) -> Extracted:
    """The text layer, page by page, with lines that ran to the margin joined back into their paragraph."""
    import pypdf
    from pypdf.errors import PdfReadError

    try:
        reader = pypdf.PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SourceError(f"{path} is password-protected: save an unprotected copy, then build again")
        # some fonts' maps give each CJK character as two UTF-16 halves: the NUL halves are never text
        pages = [(page.extract_text() or "").replace("\x00", "") for page in reader.pages]
    except SourceError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise SourceError(f"{path} is not a readable PDF ({type(exc).__name__}: {exc}): save or export it again") from exc
    text = "\n".join(_join_lines(page) for page in pages)
    if len(re.sub(r"\s", "", text)) < 20:
        raise SourceError(f"{path} has no text layer (a scanned image?): run OCR on it first (for example "
                          "`ocrmypdf --language chi_sim in.pdf out.pdf`), or pass the report as .txt")
    return Extracted(text)


def _join_lines(page: str) -> str:
    """A PDF breaks a paragraph at every line end: join a line that ran to the margin with the next,
    unless it ends a sentence or the next starts a heading or item. CJK needs no space at the join."""
    lines = [ln.strip() for ln in page.splitlines() if ln.strip()]
    width = max((len(ln) for ln in lines), default=0)
    out: list[str] = []
    joining = False
    for line in lines:
        if joining and not PDF_PART.match(line):
            out[-1] += ("" if _cjk(out[-1][-1]) or _cjk(line[0]) else " ") + line
        else:
            out.append(line)
        joining = len(line) >= FULL_LINE * width and line[-1] not in SENTENCE_END
    return "\n".join(out)


def _cjk(char: str) -> bool:
    return "\u3000" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"
