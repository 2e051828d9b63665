"""Source and chunk stages on the real report: noise removed, structure and periods recovered, spans exact."""

from __future__ import annotations

import itertools

from qa.chunking import chunk_documents
from qa.source import parse_document
from tests.conftest import REPORT


def test_no_advertising_or_page_chrome_reaches_a_paragraph(document):
    for paragraph in document.paragraphs:
        assert "皮皮侠" not in paragraph.text
        assert "http" not in paragraph.text
        assert "浏览次数" not in paragraph.text


def test_title_year_occasion_and_speaker(document):
    assert document.title == "2021年杭州市政府工作报告"
    assert document.year == 2021
    assert "第十三届人民代表大会第六次会议" in document.occasion
    assert document.speaker.endswith("刘忻")


def test_section_lead_sentence_is_a_heading_and_starts_its_paragraph(document):
    paragraph = next(p for p in document.paragraphs if p.text.startswith("（二）坚持创新驱动"))
    assert paragraph.heading == "一、2020年工作及“十三五”发展回顾 › （二）坚持创新驱动，加快经济高质量发展"
    assert paragraph.period.label == "2020年实绩"


def test_periods_follow_the_report_structure(document):
    def period_of(fragment: str) -> str:
        return next(p for p in document.paragraphs if fragment in p.text).period.label

    assert period_of("全年地区生产总值增长3.9%") == "2020年实绩"
    assert period_of("五年来，我们全力打造创新活力之城") == "十三五回顾"
    assert period_of("全市地区生产总值突破2.3万亿元") == "十四五规划"
    assert period_of("地区生产总值增长7%") == "2021年安排"


def test_numbered_items_and_run_in_subheadings(document):
    items = [p for p in document.paragraphs if p.kind == "item"]
    assert [p.text.split(".")[0] for p in items] == [str(n) for n in range(1, 11)]
    assert all(p.heading_path[-1] == "认真办好十件民生实事" for p in items)
    assert any(p.heading_path[-1:] == ("筹办最精彩亚运盛会",) for p in document.paragraphs)


def test_paragraph_ids_are_stable_and_spans_exact(document):
    again = parse_document(REPORT)
    assert [p.id for p in again.paragraphs] == [p.id for p in document.paragraphs]
    for paragraph in document.paragraphs:
        assert document.text[paragraph.start : paragraph.end] == paragraph.text


def test_chunks_fit_the_model_map_back_and_never_cut_a_number(document):
    chunks = chunk_documents([document])
    paragraphs = {p.id: p for p in document.paragraphs}
    for chunk in chunks:
        assert document.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text in paragraphs[chunk.paragraph_id].text
        assert len(chunk.text) <= 300
        assert "皮皮侠" not in chunk.embedding_text
    # a cut between two chunks of one paragraph never falls between digits
    for left, right in itertools.pairwise(chunks):
        if left.paragraph_id == right.paragraph_id:
            assert not (left.text[-1].isdigit() and right.text[0].isdigit())
    covered = sum(len(c.text) for c in chunks)
    assert covered == sum(len(p.text) for p in document.paragraphs if p.kind != "heading")


def test_gbk_bom_and_headingless_reports_are_read(tmp_path):
    text = "某市2021年政府工作报告\n\n一、2020年工作回顾\n\n全年地区生产总值增长3.9%。\n\n二、2021年工作安排\n\n地区生产总值增长7%左右。\n"
    (tmp_path / "gbk.txt").write_bytes(text.encode("gbk"))
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (tmp_path / "plain.txt").write_text("今年我们要把城市建设得更好。\n\n新增学位8万个。\n", encoding="utf-8")
    for name in ("gbk.txt", "bom.txt"):
        doc = parse_document(tmp_path / name)
        assert doc.title == "某市2021年政府工作报告"
        labels = {p.text: p.period.label for p in doc.paragraphs}
        assert labels["全年地区生产总值增长3.9%。"] == "2020年实绩"
        assert labels["地区生产总值增长7%左右。"] == "2021年安排"
    plain = parse_document(tmp_path / "plain.txt")
    assert [p.text for p in plain.paragraphs][-1] == "新增学位8万个。"


def test_unreadable_reports_give_a_clear_error(tmp_path):
    import pytest

    from qa.errors import SourceError

    with pytest.raises(SourceError, match="cannot read"):
        parse_document(tmp_path / "missing.txt")
    (tmp_path / "ads.txt").write_text("更多数据尽在数据皮皮侠（http://example.invalid）\n", encoding="utf-8")
    with pytest.raises(SourceError, match="no text"):
        parse_document(tmp_path / "ads.txt")
