"""Source stage: read a report, drop scraped-page noise, recover its structure as paragraphs."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from qa.errors import SourceError
from qa.periods import Period, period_for_part

# Lines a scraped web page carries around the report: ads, page chrome, share/print widgets.
NOISE_PATTERNS = [
    re.compile(r"https?://|www\.", re.IGNORECASE),
    re.compile(r"更多.{0,12}尽在"),
    re.compile(r"(时间|日期|发布时间)[:：].{0,40}(来源|浏览|点击|阅读)"),
    re.compile(r"^(来源|责任编辑|编辑|浏览次数|点击数|字号|打印|关闭|分享到|【.{0,6}】)[:：]?"),
    re.compile(r"(打印本页|关闭窗口|返回顶部|扫一扫|上一篇|下一篇)"),
]
PART_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
SECTION_HEADING = re.compile(r"^（[一二三四五六七八九十]+）")
NUMBERED_ITEM = re.compile(r"^(\d{1,2}[\.．、](?!\d)|[①-⑳])")
MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s*")
YEAR = re.compile(r"((?:19|20)\d\d)年")
LEAD_SENTENCE = re.compile(r"^([^。！？；，、]{2,20})。(?=.)")  # "推动数字科技自立自强。…": a run-in sub-heading
MAX_HEADING_CHARS = 40


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a report, with where it sits and what time it talks about."""

    id: str
    doc_id: str
    heading_path: tuple[str, ...]
    period: Period
    text: str
    start: int  # character span in the decoded source text
    end: int
    kind: str  # "title" | "front" (occasion, speaker, salutation) | "heading" | "paragraph" | "item"

    @property
    def heading(self) -> str:
        return " › ".join(self.heading_path)


@dataclass(frozen=True)
class Document:
    """A cleaned report: its title, the year it was delivered, and its paragraphs in order."""

    id: str
    path: str
    title: str
    year: int | None
    occasion: str
    speaker: str
    sha256: str
    text: str
    paragraphs: tuple[Paragraph, ...]


def read_text(path: Path) -> tuple[str, bytes]:
    """Decode a report file: UTF-8 (with or without BOM), else GB18030 (a superset of GBK)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read report {path}: {exc.strerror or exc}") from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), raw
        except UnicodeDecodeError:
            continue
    raise SourceError(f"{path} is neither UTF-8 nor GBK text: save it as UTF-8 and run `qa build` again")


def is_noise(line: str) -> bool:
    return any(p.search(line) for p in NOISE_PATTERNS)


def _lines_with_spans(text: str):
    """Yield (stripped line, start, end) for every non-blank line that is not page noise."""
    pos = 0
    for raw_line in text.splitlines(keepends=True):
        stripped = raw_line.strip()
        if stripped and not is_noise(stripped):
            start = pos + raw_line.index(stripped)
            yield stripped, start, start + len(stripped)
        pos += len(raw_line)


def _heading_text(line: str) -> str:
    """The heading part of a line: the whole of a short line, else its lead sentence."""
    lead = re.split(r"[。！？]", line, maxsplit=1)[0]
    return lead if len(lead) <= MAX_HEADING_CHARS else lead[:MAX_HEADING_CHARS] + "…"


def _find_title(lines: list[tuple[str, int, int]], path: Path) -> tuple[str, int | None]:
    title = next((ln for ln, _, _ in lines[:10] if len(ln) <= 60 and ("报告" in ln or MARKDOWN_HEADING.match(ln))), "")
    title = MARKDOWN_HEADING.sub("", title) or path.stem
    # the year a report is delivered: its title, else the date of the meeting, else the file name
    occasion = [ln for ln, _, _ in lines[:10] if re.search(r"会议|大会", ln)]
    for candidate in [title, *occasion, path.stem]:
        m = YEAR.search(candidate) or re.search(r"(?:19|20)\d\d", candidate)
        if m:
            return title, int(m.group(1) if m.groups() else m.group(0))
    return title, None


def parse_document(path: Path) -> Document:
    """Read and structure one report.

    Example: the line "（二）坚持创新驱动，加快经济高质量发展。打造…" becomes a paragraph whose
    heading path ends in "（二）坚持创新驱动，加快经济高质量发展".
    """
    path = Path(path)
    text, raw = read_text(path)
    lines = list(_lines_with_spans(text))
    if not lines:
        raise SourceError(f"{path} holds no text after removing page noise: is it the right file?")
    doc_id = re.sub(r"[^\w\-]+", "-", path.stem).strip("-") or "report"
    title, year = _find_title(lines, path)

    paragraphs: list[Paragraph] = []
    part: str | None = None
    section: str | None = None
    lead: str | None = None
    period = Period.general(year)
    part_period = period
    previous_kind = ""
    for line, start, end in lines:
        kind = "paragraph"
        md = MARKDOWN_HEADING.match(line)
        body = MARKDOWN_HEADING.sub("", line)
        if line == title or (not paragraphs and len(line) <= 60 and "报告" in line):
            kind = "title"
        elif PART_HEADING.match(body) or (md and len(md.group(1)) <= 2 and not SECTION_HEADING.match(body)):
            part, section, lead = _heading_text(body), None, None
            part_period = period = period_for_part(part, year)
            kind = "heading"
        elif SECTION_HEADING.match(body) or md:
            section, lead = _heading_text(body), None
            period = part_period.narrowed_by(section, year)
            kind = "heading" if len(body) <= MAX_HEADING_CHARS else "paragraph"
        elif NUMBERED_ITEM.match(body):
            kind = "item"
        elif part is None and len(body) <= MAX_HEADING_CHARS and not re.search(r"[。；]", body):
            kind = "front"
        elif section and (m := LEAD_SENTENCE.match(body)):
            lead = m.group(1)
        elif section and previous_kind != "item":
            section, lead = None, None  # back at part level: a plain paragraph after a one-paragraph section
            period = part_period
        if kind == "paragraph" and part and section is None:
            # the review of the five-year plan opens with "五年来…" within the yearly review part
            period = part_period = part_period.shifted_by(body, year)
        heading_path = tuple(h for h in (part, section, lead) if h)
        paragraphs.append(
            Paragraph(
                id=f"{doc_id}#p{len(paragraphs) + 1:03d}",
                doc_id=doc_id,
                heading_path=heading_path,
                period=period,
                text=line,
                start=start,
                end=end,
                kind=kind,
            )
        )
        previous_kind = kind
    front = [p.text for p in paragraphs if p.kind == "front"]
    occasion = next((t for t in front if re.match(r"^[（(].*(会议|大会).*[）)]$", t)), "")
    after = front[front.index(occasion) + 1 :] if occasion else []
    return Document(
        id=doc_id,
        path=str(path),
        title=title,
        year=year,
        occasion=occasion.strip("（）()"),
        speaker=after[0] if after and not after[0].endswith("：") else "",
        sha256=hashlib.sha256(raw).hexdigest(),
        text=text,
        paragraphs=tuple(paragraphs),
    )
