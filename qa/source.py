"""Source stage: read a report, drop scraped-page noise, recover its structure and metadata as paragraphs.

A file is one report (.txt, .md; a saved web page .html, a Word .docx or a PDF with a text layer, read by
qa/formats.py) or a dataset of reports, one a row (.csv, .jsonl with a `full_text` column and optional
province/place, year, title, source_url, publish_date).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from qa.errors import SourceError
from qa.formats import FORMATS, extract
from qa.periods import Period, period_for_part
from qa.places import provinces

# Lines a scraped web page carries around the report: ads, page chrome, share/print widgets.
NOISE_PATTERNS = [
    re.compile(r"https?://|www\.", re.IGNORECASE),
    re.compile(r"更多.{0,12}尽在"),
    re.compile(r"(时间|日期|发布时间)[:：].{0,40}(来源|浏览|点击|阅读)"),
    re.compile(r"^(来源|责任编辑|编辑|浏览次数|点击数|字号|打印|关闭|分享到|【.{0,6}】)[:：]?"),
    re.compile(r"(打印本页|关闭窗口|返回顶部|扫一扫|上一篇|下一篇)"),
    re.compile(r"^.{0,2}$"),  # portal toolbars, one word a line (下载, 打印, 大, 中, 小, 】): no report line is this short
    re.compile(r"^【?字[号体][:：]|^分享到|您的位置|点击.{0,10}进入|阅读量[:：]|^(发表|发布)?(时间|日期)[:：]\s*(\d{4}|$)"),
    re.compile(r"^\d{4}-\d\d-\d\d( \d\d:\d\d(:\d\d)?)?$"),  # a bare publishing time
    re.compile(r"(记者|通讯员|摄影)[^。，；]{0,16}摄。?$"),  # photo credits
    re.compile(r"^.{0,30}记者\s?[\u4e00-\u9fff·]{2,4}$"),  # a credit without 摄: "…日报记者 盛学卿"
    re.compile(r"^[\u4e00-\u9fff·]{2,9}作政府工作报告[。.]?(.{0,30}(记者|摄影|摄).{0,8})?$"),  # a photo's caption
    re.compile(r"^[（(【\[]\s*(来源|责任编辑|编辑|作者|记者)[:：]"),  # "（来源：青海日报）" closing an article
    re.compile(r"^[-—–\s]*\d{1,3}[-—–\s]*$|^第\s*\d+\s*页|^共\s*\d+\s*页"),  # page numbers of a PDF or docx
]
# A line that starts the links a portal appends after the article: it and everything after are noise.
TRAILER = re.compile(r"^(相关(报道|文档|阅读|新闻|链接)|延伸阅读)[:：]?$")
SOURCE_LABEL = re.compile(r"^来源[:：]$")  # "来源：" alone: the next line is the newspaper's name
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
    place: str = ""  # 杭州市, 江苏省, 全国: whose report it is
    source: str = ""  # where it was published (a dataset's source_url, a web page's address), if known
    level: str = ""  # "national" | "province" (also 北京市 and the other municipalities) | "city" | "" unknown
    meeting_date: str = ""  # the day it was delivered, ISO: "2021-02-03"


def read_text(path: Path) -> tuple[str, bytes]:
    """Decode a report file: UTF-8 (with or without BOM), else GB18030 (a superset of GBK)."""
    raw = _read_bytes(path)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), raw
        except UnicodeDecodeError:
            continue
    raise SourceError(f"{path} is neither UTF-8 nor GBK text: save it as UTF-8 and run `qa build` again")


def _read_bytes(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read report {path}: {exc.strerror or exc}") from exc


def is_noise(line: str) -> bool:
    return any(p.search(line) for p in NOISE_PATTERNS)


def _lines_with_spans(text: str):
    """Yield (stripped line, start, end) for every non-blank line that is not page noise."""
    pos, after_label = 0, False
    for raw_line in text.splitlines(keepends=True):
        stripped = raw_line.strip()
        if TRAILER.match(stripped):
            return
        if stripped and not is_noise(stripped) and not after_label:
            start = pos + raw_line.index(stripped)
            yield stripped, start, start + len(stripped)
        after_label = bool(SOURCE_LABEL.match(stripped)) or (after_label and not stripped)
        pos += len(raw_line)


def _unnumbered_part(body: str, year: int | None, paragraphs: list) -> bool:
    """A part heading without a number: after the opening address, a short line that is no sentence and names a
    period ("“十四五”时期工作回顾", "“十五五”时期的主要目标任务", "2026年重点工作")."""
    return (len(body) <= MAX_HEADING_CHARS and not re.search(r"[。；：:！？!?，]", body)
            and period_for_part(body, year).kind != "general" and any(p.kind == "paragraph" for p in paragraphs))


def _heading_text(line: str) -> str:
    """The heading part of a line: the whole of a short line, else its lead sentence."""
    lead = re.split(r"[。！？]", line, maxsplit=1)[0]
    return lead if len(lead) <= MAX_HEADING_CHARS else lead[:MAX_HEADING_CHARS] + "…"


def _find_title(lines: list[tuple[str, int, int]], path: Path) -> tuple[str, int | None]:
    title = next((ln for ln, _, _ in lines[:10] if len(ln) <= 60 and ("报告" in ln or MARKDOWN_HEADING.match(ln))), "")
    title = MARKDOWN_HEADING.sub("", title).split("——")[0] or path.stem  # "政府工作报告——2024年3月5日在…会议上"
    # the year a report is delivered: its title, else the date of the meeting, else the file name
    occasion = [ln for ln, _, _ in lines[:10] if re.search(r"会议|大会", ln)]
    for candidate in [title, *occasion, path.stem]:
        m = YEAR.search(candidate) or re.search(r"(?:19|20)\d\d", candidate)
        if m:
            return title, int(m.group(1) if m.groups() else m.group(0))
    return title, None


DATASETS = (".csv", ".jsonl")
TEXTS = (".txt", ".md", ".markdown", "")
TEXT_COLUMNS = ("full_text", "text", "content")


def read_documents(path: Path) -> list[Document]:
    """Every report in a file: one for a report file, one a row for a dataset (.csv, .jsonl)."""
    path = Path(path)
    if path.suffix.lower() not in DATASETS:
        return [parse_document(path)]
    text, raw = read_text(path)
    rows = _dataset_rows(path, text)
    stem = _slug(path.stem)
    documents = []
    for number, row in enumerate(rows, 1):
        body = next((row[c] for c in TEXT_COLUMNS if isinstance(row.get(c), str) and row[c].strip()), "")
        if not body:
            raise SourceError(f"{path} row {number} has no report text (a column named {' or '.join(TEXT_COLUMNS)})")
        doc_id = stem if len(rows) == 1 else f"{stem}-{number}"
        documents.append(parse_text(body, raw, path, doc_id, row))
    return documents


def check_suffix(path: Path) -> None:
    """Refuse a file of a kind no reader handles, before reading it."""
    suffix = Path(path).suffix.lower()
    if suffix not in TEXTS + DATASETS + FORMATS:
        raise SourceError(f"{path}: cannot read {suffix} files. A report is .txt, .md, .html, .docx or .pdf (with a "
                          "text layer), or a .csv/.jsonl dataset with one report a row: convert it to one of these")


def _dataset_rows(path: Path, text: str) -> list[dict]:
    try:
        if path.suffix.lower() == ".csv":
            csv.field_size_limit(1 << 26)
            reader = csv.DictReader(io.StringIO(text))
            columns = [c for c in reader.fieldnames or [] if c]
            if not set(columns) & set(TEXT_COLUMNS):
                raise SourceError(f"{path} has no full_text column (its columns: {', '.join(columns) or 'none'}): a "
                                  "dataset needs one report a row, its text in a column named full_text")
            rows = list(reader)
        else:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    except (csv.Error, ValueError) as exc:
        raise SourceError(f"{path} is not a readable {path.suffix[1:].upper()} dataset ({exc})") from exc
    rows = [r for r in rows if isinstance(r, dict)]
    if not rows:
        raise SourceError(f"{path} holds no rows: a dataset needs one report a row, in a column named full_text")
    return rows


def _slug(stem: str) -> str:
    return re.sub(r"[^\w\-]+", "-", stem).strip("-") or "report"


def parse_document(path: Path) -> Document:
    """Read and structure one report (the first, for a dataset).

    Example: the line "（二）坚持创新驱动，加快经济高质量发展。打造…" becomes a paragraph whose
    heading path ends in "（二）坚持创新驱动，加快经济高质量发展".
    """
    path = Path(path)
    check_suffix(path)
    if path.suffix.lower() in DATASETS:
        return read_documents(path)[0]
    if path.suffix.lower() in FORMATS:
        raw = _read_bytes(path)
        found = extract(path, raw)
        return parse_text(found.text, raw, path, _slug(path.stem), found.meta)
    text, raw = read_text(path)
    return parse_text(text, raw, path, _slug(path.stem), {})


def parse_text(text: str, raw: bytes, path: Path, doc_id: str, meta: dict) -> Document:
    """Structure one report's text; `meta` holds what a dataset row says of it (title, year, province)."""
    lines = list(_lines_with_spans(text))
    if meta.get("title"):  # a dataset's page chrome before the title line is not the report
        at = next((i for i, (ln, _, _) in enumerate(lines[:40]) if meta["title"] in ln), 0)
        lines = lines[at:]
    if not lines:
        raise SourceError(f"{path} holds no text after removing page noise: is it the right file?")
    title, year = _find_title(lines, path)
    title = meta.get("title") or title
    year = _int(meta.get("year")) or year

    paragraphs: list[Paragraph] = []
    part: str | None = None
    section: str | None = None
    lead: str | None = None
    period = Period.general(year)
    part_period = period
    previous_kind = ""
    unnumbered = False  # the report's parts are headed without 一、二、: "“十四五”时期工作回顾", "2026年重点工作"
    for line, start, end in lines:
        kind = "paragraph"
        md = MARKDOWN_HEADING.match(line)
        body = MARKDOWN_HEADING.sub("", line)
        if line == title or (not paragraphs and len(line) <= 60 and "报告" in line):
            kind = "title"
        elif PART_HEADING.match(body) or (md and len(md.group(1)) <= 2 and not SECTION_HEADING.match(body)) or (
                (part is None or unnumbered) and _unnumbered_part(body, year, paragraphs)):
            unnumbered = unnumbered or not (PART_HEADING.match(body) or md)
            part, section, lead = _heading_text(body), None, None
            named = period_for_part(part, year)
            # a part that names no period after the year's plan goes on with it (四、全面加强政府自身建设)
            part_period = period = part_period if named.kind == "general" and part_period.kind == "year_ahead" else named
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
    front = [p.text for p in paragraphs if p.kind in ("front", "title")]
    meeting = next((m for t in front if (m := OCCASION.search(t))), None)
    after = front[front.index(meeting.string) + 1 :] if meeting else []
    # the speaker may follow on the meeting's own line ("——2024年3月5日在…会议上国务院总理 李强"), else on the next
    speaker = (meeting and (meeting.group(3) or "").strip()) or (after[0] if after and not after[0].endswith("：") else "")
    occasion = meeting.group(2) if meeting else ""
    place = str(meta.get("province") or meta.get("place") or "") or place_of(title, occasion)
    return Document(
        id=doc_id,
        path=str(path),
        title=title,
        year=year,
        occasion=occasion.strip("（）()—- "),
        speaker=speaker,
        sha256=hashlib.sha256(raw).hexdigest(),
        text=text,
        paragraphs=tuple(paragraphs),
        place=place,
        source=str(meta.get("source_url") or ""),
        level=level_of(place),
        meeting_date=meeting_date(occasion),
    )


# "（2021年2月…在杭州市第十三届人民代表大会第六次会议上）" or "——2026年2月3日在江苏省…会议上", maybe with the speaker after
OCCASION = re.compile(r"^(.*?——|[（(])?\s*([^（）()]*(?:会议|大会)上?)[）)]?\s*(\S.{0,30})?$")
PLACE = re.compile(r"([\u4e00-\u9fff]{2,9}?(?:省|市|自治区|特别行政区))(?:人民政府|政府|第)")


def place_of(title: str, occasion: str) -> str:
    """Whose report: the place its title or meeting names; 全国 for the National People's Congress."""
    if "全国人民代表大会" in occasion or "国务院" in title:
        return "全国"
    # the occasion after its date ("2021年2月3日在杭州市第十三届…" names 杭州市, not "日在杭州市")
    for text in (title, occasion.split("在", 1)[-1]):
        if m := PLACE.search(re.sub(r"^\d{4}年", "", text)):
            return m.group(1)
    return ""


def level_of(place: str) -> str:
    """"全国" -> national; a province-level place (江苏省, 北京市) -> province; another 市/州/盟 -> city.

    Example: level_of("杭州市") -> "city"; level_of("上海市") -> "province".
    """
    if place == "全国":
        return "national"
    if place in {full for full, _, _ in provinces()}:
        return "province"
    return "city" if re.search(r"(市|州|盟|地区)$", place) else ""


CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "O": 0}
DATE = re.compile(r"((?:19|20)\d\d|[〇○零一二三四五六七八九]{4})年([\d一二三四五六七八九十]{1,3})月([\d一二三四五六七八九十]{1,3})日")


def meeting_date(occasion: str) -> str:
    """The date in a meeting line, as ISO; "" if there is none.

    Example: "二〇二六年一月二十七日在甘肃省…会议上" -> "2026-01-27".
    """
    if not (m := DATE.search(occasion)):
        return ""
    year = int(m.group(1)) if m.group(1).isdigit() else int("".join(str(CN_DIGITS[c]) for c in m.group(1)))
    month, day = _cn_number(m.group(2)), _cn_number(m.group(3))
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else ""


def _cn_number(text: str) -> int:
    """"27" or "二十七" -> 27 (numbers below 100, as in dates)."""
    if text.isdigit():
        return int(text)
    tens, _, ones = text.rpartition("十")
    if "十" not in text:
        return CN_DIGITS.get(text, 0)
    return (CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (CN_DIGITS.get(ones, 0) if ones else 0)


def _int(value) -> int | None:
    try:
        return int(str(value).strip()[:4])
    except (TypeError, ValueError):
        return None
