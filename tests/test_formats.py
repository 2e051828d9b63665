"""Reports in other formats (.html, .docx, .pdf, .csv) read into paragraphs with their metadata; what cannot be
read is a SourceError that says what to do. Every fixture is written by the test itself."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from eval.sets import shared_data
from qa.errors import SourceError
from qa.source import parse_document, read_documents

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
LINES = [
    "2021年临安市政府工作报告",
    "（2021年2月3日在临安市第十三届人民代表大会第六次会议上）",
    "市长 张三",
    "各位代表：",
    "一、2020年工作回顾",
    ("全年地区生产总值增长3.9%，网络零售额892亿元，数字经济核心产业增加值429亿元，增长13.3%，占全市地区生产总值比重达到26.6%，"
    "城镇新增就业12万人。"),
    "二、2021年工作安排",
    "地区生产总值增长7%左右。",
]
GROWTH = LINES[5]


def check_report(path: Path, title: str = LINES[0]):
    """The fixture report, whatever its format: title, place, level, date, speaker, structure and periods."""
    document = parse_document(path)
    texts = {p.text: p for p in document.paragraphs}
    assert document.title == title and document.year == 2021
    assert (document.place, document.level, document.meeting_date) == ("临安市", "city", "2021-02-03")
    assert document.speaker == "市长 张三" and "第十三届人民代表大会第六次会议" in document.occasion
    assert texts[GROWTH].period.label == "2020年实绩" and texts[GROWTH].heading_path == ("一、2020年工作回顾",)
    assert texts["地区生产总值增长7%左右。"].period.label == "2021年安排"
    for paragraph in document.paragraphs:  # spans point into the extracted text
        assert document.text[paragraph.start : paragraph.end] == paragraph.text
    return document


def test_a_saved_web_page_keeps_the_article_and_drops_the_portal(tmp_path):
    body = "".join(f"<p>{line}</p>" for line in LINES[1:])
    page = (
        "<html><head><meta charset='utf-8'><title>2021年临安市政府工作报告_临安市人民政府门户网站</title>"
        "<link rel='canonical' href='https://www.linan.example/art/2021/2/3/1.html'></head><body>"
        "<div class='nav'><a href='/'>首页</a> <a href='/gk'>政务公开</a> <a href='/fw'>办事服务</a></div>"
        f"<article><h1>{LINES[0]}</h1>{body}</article>"
        "<div class='related'><h3>相关新闻</h3><ul><li><a href='/n/1'>临安市召开政府常务会议部署一季度工作</a></li></ul></div>"
        "<footer>主办单位：临安市人民政府办公室 版权所有 网站标识码 3301850001</footer></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    document = check_report(path)
    assert document.source == "https://www.linan.example/art/2021/2/3/1.html"
    text = "\n".join(p.text for p in document.paragraphs)
    for chrome in ("首页", "政务公开", "相关新闻", "常务会议", "版权所有", "门户网站"):
        assert chrome not in text


def test_a_word_file_gives_its_paragraphs_and_table_rows(tmp_path):
    import docx

    document = docx.Document()
    for line in LINES[:6]:
        document.add_paragraph(line)
    table = document.add_table(rows=2, cols=2)
    for (row, col), value in {(0, 0): "指标", (0, 1): "2020年", (1, 0): "城镇新增就业", (1, 1): "12万人"}.items():
        table.cell(row, col).text = value
    for line in LINES[6:]:
        document.add_paragraph(line)
    document.save(tmp_path / "report.docx")
    read = check_report(tmp_path / "report.docx")
    row = next(p for p in read.paragraphs if p.text.startswith("城镇新增就业"))
    assert row.text == "城镇新增就业\t12万人" and row.period.label == "2020年实绩"


def write_pdf(path: Path, lines: list[str]) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("cjk", fname=str(CJK_FONT), collection_font_number=2)  # the collection's simplified Chinese face
    pdf.set_font("cjk", size=11)
    for line in lines:
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")  # a long line wraps: the PDF breaks it
    pdf.output(str(path))


@pytest.mark.skipif(not CJK_FONT.is_file(), reason="needs Noto CJK (apt-get install fonts-noto-cjk) to write the PDF")
def test_a_pdf_text_layer_is_read_with_wrapped_lines_joined(tmp_path):
    write_pdf(tmp_path / "report.pdf", LINES)
    import pypdf

    raw = pypdf.PdfReader(str(tmp_path / "report.pdf")).pages[0].extract_text().replace("\x00", "")
    assert "\n" in raw.split("增长3.9%")[1].split("二、")[0]  # the layer itself breaks the paragraph
    check_report(tmp_path / "report.pdf")  # the wrapped GROWTH paragraph is whole again


def test_dataset_rows_carry_their_metadata_and_a_csv_without_full_text_is_refused(tmp_path):
    path = tmp_path / "reports.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["province", "year", "title", "source_url", "full_text"])
        writer.writerow(["甲省", "2026", "2026年甲省政府工作报告", "https://a.example/1",
                         ("打印\n2026年甲省政府工作报告\n——2026年1月26日在甲省第十四届人民代表大会第四次会议上\n省长 李四\n"
                         "一、2025年工作回顾\n地区生产总值增长5%。\n（来源：甲省日报）")])
    [document] = read_documents(path)
    assert (document.place, document.level, document.year, document.meeting_date) == ("甲省", "", 2026, "2026-01-26")
    assert document.source == "https://a.example/1" and document.speaker == "省长 李四"
    assert [p.text for p in document.paragraphs][-1] == "地区生产总值增长5%。"  # the closing credit is gone
    (tmp_path / "no-text.csv").write_text("province,year,title,body\n甲省,2026,t,正文\n", encoding="utf-8")
    with pytest.raises(SourceError, match="no full_text column.*province, year, title, body"):
        read_documents(tmp_path / "no-text.csv")


def test_what_cannot_be_read_says_what_to_do(tmp_path):
    from fpdf import FPDF

    scanned = FPDF()  # a page with only a picture on it: no text layer
    scanned.add_page()
    scanned.set_fill_color(90, 90, 90)
    scanned.rect(20, 20, 150, 200, style="F")
    scanned.output(str(tmp_path / "scanned.pdf"))
    (tmp_path / "corrupt.docx").write_bytes(b"PK\x03\x04 not really a zip " * 20)
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "menu.html").write_text("<html><body><nav><a href='/'>首页</a></nav></body></html>", "utf-8")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n%%EOF garbage")
    (tmp_path / "report.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    expected = {
        "scanned.pdf": "no text layer.*OCR",
        "corrupt.docx": "not a readable Word document.*save it again as .docx",
        "empty.html": "is empty",
        "menu.html": "holds no (article )?text",  # trafilatura finds nothing, or only the menu word
        "broken.pdf": "not a readable PDF",
        "report.doc": "cannot read .doc files.*convert",
    }
    for name, message in expected.items():
        with pytest.raises(SourceError, match=message):
            read_documents(tmp_path / name)


PROVINCES = sorted((shared_data() / "provincial-2026").glob("*.csv"))


@pytest.mark.skipif(not PROVINCES, reason="../shared/data is not beside the clone")
def test_no_page_noise_or_missing_metadata_in_the_26_provincial_reports():
    credit = re.compile(r"记者|编辑|来源[:：]|作政府工作报告。|^\W*\d{1,3}\W*$")
    for path in PROVINCES:
        [document] = read_documents(path)
        assert document.level == "province" and document.year == 2026, path.name
        assert document.place and document.place in path.name, path.name
        assert re.fullmatch(r"2026-0[12]-\d\d", document.meeting_date), path.name
        assert document.speaker, path.name
        leftovers = [p.text for p in document.paragraphs if len(p.text) < 60 and credit.search(p.text)]
        assert not leftovers, (path.name, leftovers)
