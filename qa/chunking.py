"""Chunk stage: split paragraphs into embedding-sized pieces that map back to their source span."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.source import Document, Paragraph

CHUNK_SIZE = 300  # characters; the longest chunk with its header stays well under 512 tokens
CHUNK_OVERLAP = 0  # splits fall on sentence ends, so neighbouring chunks need no shared text
# Zero-width regexes: cut after a sentence end, then after a clause, and before a circled item
# number; never between characters, so a number is never cut.
SEPARATORS = ["\n\n", r"(?<=[。！？])", r"(?<=；)", r"(?=[①-⑳])", r"(?<=，)"]


SENTENCE_END = re.compile(r"(?<=[。！？；])")


def spans(text: str, pattern: re.Pattern = SENTENCE_END) -> list[tuple[int, int]]:
    """Non-blank pieces of `text` between the pattern's (zero-width) matches, as spans.

    Example: spans("甲。乙；") -> [(0, 2), (2, 4)]
    """
    found, start = [], 0
    for piece in pattern.split(text):
        if piece.strip():
            offset = text.index(piece, start)
            found.append((offset, offset + len(piece)))
            start = offset + len(piece)
    return found


@dataclass(frozen=True)
class Chunk:
    """A piece of one paragraph: what gets embedded and searched."""

    id: str
    paragraph_id: str
    doc_id: str
    text: str  # the source text of this piece, exactly as in the paragraph
    start: int  # character span in the decoded source text
    end: int
    header: str  # heading path, embedded with the text as context

    @property
    def embedding_text(self) -> str:
        return f"{self.header}\n{self.text}" if self.header else self.text


def make_splitter(chunk_size: int = CHUNK_SIZE, chunk_overlap: int = CHUNK_OVERLAP):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=SEPARATORS,
        is_separator_regex=True,
        keep_separator=True,  # zero-width separators: "keeping" them joins pieces with nothing
        strip_whitespace=False,
    )


def chunk_paragraph(paragraph: Paragraph, splitter) -> list[Chunk]:
    """Split one paragraph; each piece is located in the paragraph so its span is exact."""
    chunks = []
    cursor = 0
    for number, piece in enumerate(splitter.split_text(paragraph.text)):
        offset = paragraph.text.find(piece, cursor)
        if offset < 0:  # the splitter changed the text; keep the paragraph whole rather than mis-map it
            return [_chunk(paragraph, 0, paragraph.text, 0)]
        chunks.append(_chunk(paragraph, offset, piece, number))
        cursor = offset + len(piece)
    return chunks


def _chunk(paragraph: Paragraph, offset: int, piece: str, number: int) -> Chunk:
    return Chunk(
        id=f"{paragraph.id}.c{number}",
        paragraph_id=paragraph.id,
        doc_id=paragraph.doc_id,
        text=piece,
        start=paragraph.start + offset,
        end=paragraph.start + offset + len(piece),
        header=paragraph.heading,
    )


def chunk_documents(documents: list[Document], chunk_size: int = CHUNK_SIZE) -> list[Chunk]:
    splitter = make_splitter(chunk_size)
    return [
        chunk
        for document in documents
        for paragraph in document.paragraphs
        if paragraph.kind != "heading"  # a bare heading is already every child's header
        for chunk in chunk_paragraph(paragraph, splitter)
    ]
