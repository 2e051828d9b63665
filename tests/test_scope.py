"""Many reports in one index: each question answered from the report it is about (real model, real reports).

The index holds every report that has a question set (Hangzhou 2021, national 2024 and seven provinces'
2026 reports), the same one `python -m eval` builds, so the two share one cached build.
"""

from __future__ import annotations

import pytest

from eval.sets import load_sets, shared_data
from qa.figures import extract_figures
from qa.pipeline import ask, embedder_for
from qa.scope import resolve

HANGZHOU, NATIONAL = "hangzhou-2021-government-work-report", "national-2024-government-work-report"
BEIJING, JIANGSU, SHANDONG = (f"2026_{p}_政府工作报告" for p in ("北京市", "江苏省", "山东省"))

needs_shared = pytest.mark.skipif(not (shared_data() / "national-2024-government-work-report.txt").is_file(),
                                  reason="../shared/data is not beside the clone")


@pytest.fixture(scope="module")
def corpus():
    from eval.sets import index_for

    index = index_for([s.report for s in load_sets()])
    embedder_for(index)
    return index


def from_one_report(answer, report: str) -> bool:
    """The answer and every citation come from `report`: no figure paired with another report's paragraph."""
    return answer.report == report and all(c.paragraph_id.startswith(report + "#") for c in answer.citations)


def cited(answer, text: str) -> bool:
    return answer.found and text in answer.text and text in answer.citations[0].text


@needs_shared
def test_the_place_a_question_names_picks_the_report_even_when_another_is_chosen(corpus):
    answer = ask(corpus, "江苏2026年地区生产总值增长目标是多少？", report=HANGZHOU)
    assert from_one_report(answer, JIANGSU) and cited(answer, "5%")
    assert answer.report_title == "2026年江苏省政府工作报告"
    english = ask(corpus, "What is Beijing's GDP growth target for 2026?")
    assert from_one_report(english, BEIJING) and cited(english, "5%左右")


@needs_shared
def test_the_country_is_a_place_too(corpus):
    target = ask(corpus, "全国2024年国内生产总值增长目标是多少？")
    assert from_one_report(target, NATIONAL) and cited(target, "5%左右")
    speaker = ask(corpus, "国务院的政府工作报告是谁作的？")
    assert from_one_report(speaker, NATIONAL) and "李强" in speaker.text


@needs_shared
def test_a_city_named_in_english_keeps_its_report_when_china_qualifies_something(corpus):
    answer = ask(corpus, "How much did Hangzhou's GDP grow in 2020, among China's big cities?", report=SHANDONG)
    assert from_one_report(answer, HANGZHOU) and cited(answer, "3.9%")
    assert from_one_report(ask(corpus, "What is China's GDP growth target for 2024?", report=HANGZHOU), NATIONAL)


@needs_shared
def test_with_no_place_named_and_no_report_chosen_the_report_that_says_it_answers(corpus):
    # 数字中国 names a summit, not the country; only Fujian's report says 办好第九届数字中国建设峰会
    answer = ask(corpus, "今年要办好第几届数字中国建设峰会？")
    assert answer.report == "2026_福建省_政府工作报告" and cited(answer, "第九届")


@needs_shared
def test_with_no_report_chosen_a_national_word_opening_a_provincial_term_does_not_pick_the_country(corpus):
    # 国家考古遗址公园 is a kind of park, not the country: only Shandong's report names 大汶口's (the bundled report
    # alone, lacking the term, sent the question to the country's report)
    answer = ask(corpus, "大汶口国家考古遗址公园有什么进展？")
    assert from_one_report(answer, SHANDONG) and cited(answer, "大汶口国家考古遗址公园挂牌")
    assert from_one_report(ask(corpus, "国家今年的赤字率是多少？"), NATIONAL)  # 国家今 is no term: the country


@needs_shared
def test_with_no_place_named_the_chosen_report_answers_and_relative_years_are_its_own(corpus):
    default = ask(corpus, "去年网络零售额多少？")  # none chosen: the bundled report's answer is the most probable
    assert from_one_report(default, HANGZHOU) and cited(default, "8992亿元") and default.period == "2020年实绩"
    shandong = ask(corpus, "去年地区生产总值增长多少？", report=SHANDONG)
    assert from_one_report(shandong, SHANDONG) and "2025年" in shandong.period
    hangzhou = ask(corpus, "去年地区生产总值增长多少？", report=HANGZHOU)
    assert from_one_report(hangzhou, HANGZHOU) and cited(hangzhou, "3.9%")


@needs_shared
def test_a_follow_up_stays_with_the_place_asked_about(corpus):
    first = "北京去年经济增速多少"
    assert from_one_report(ask(corpus, first), BEIJING)
    follow = ask(corpus, "那今年的目标呢？", [first])
    assert from_one_report(follow, BEIJING) and cited(follow, "5%左右") and "2026年" in follow.period


@needs_shared
def test_two_places_give_one_cited_row_each(corpus):
    answer = ask(corpus, "北京和江苏2026年地区生产总值增长目标分别是多少？")
    assert [row.report for row in answer.rows] == [BEIJING, JIANGSU]
    for row in answer.rows:
        assert row.found and from_one_report(row, row.report)
        figures = [row.text[f.start : f.end] for f in extract_figures(row.text)]
        assert figures and all(f in row.citations[0].text for f in figures)  # each cell's figure, cited
        assert row.report_title + "：" + row.text in answer.text
    assert [c.paragraph_id.split("#")[0] for c in answer.citations] == [BEIJING, JIANGSU]


@needs_shared
def test_every_province_asks_each_provincial_report_of_that_year(corpus):
    answer = ask(corpus, "各省2026年GDP增长目标是多少？")
    reports = {row.report for row in answer.rows}
    assert {BEIJING, JIANGSU, SHANDONG} <= reports
    assert HANGZHOU not in reports and NATIONAL not in reports  # a city of 2021, and the country
    assert all(from_one_report(row, row.report) for row in answer.rows if row.found)


@needs_shared
def test_a_report_not_in_the_index_is_named_in_the_reply(corpus):
    answer = ask(corpus, "今年的目标是什么？", report="no-such-report")
    assert not answer.found and "no-such-report" in answer.text and HANGZHOU in answer.text
    for wrong in (["x"], 5, {"id": HANGZHOU}):  # from the API, any JSON may come
        assert not ask(corpus, "今年的目标是什么？", report=wrong).found


def test_a_year_picks_among_one_places_reports():
    reports = [{"id": "hz-2021", "place": "杭州市", "year": 2021}, {"id": "hz-2022", "place": "杭州市", "year": 2022},
               {"id": "js-2026", "place": "江苏省", "year": 2026}]
    assert resolve(reports, "2021年杭州地区生产总值增长多少？").doc_ids == ("hz-2022",)  # reviewed by 2022's
    assert resolve(reports, "2021年杭州地区生产总值预期目标是多少？").doc_ids == ("hz-2021",)  # planned in 2021's
    assert resolve(reports, "杭州地区生产总值增长多少？").doc_ids == ("hz-2022",)  # the newest
    assert resolve(reports, "Jiangsu GDP?").doc_ids == ("js-2026",)
    assert resolve(reports, "苏州去年进出口增长多少？").doc_ids == ("js-2026",)  # a city of the province
    assert resolve(reports, "杭州去年进出口增长多少？").doc_ids == ("hz-2022",)  # its own report, not a province's
    assert resolve(reports, "地区生产总值增长多少？", chosen="hz-2021").reason == "chosen"


def test_china_opening_a_name_does_not_name_the_country():
    """"the 8th China International Import Expo" asked with Shanghai's report chosen was answered from the
    country's report (办好进博会…): "China" there opens the expo's name."""
    reports = [{"id": "sh", "place": "上海市", "year": 2026}, {"id": "cn", "place": "全国", "year": 2024}]
    expo = "What was the value of intended deals at the 8th China International Import Expo?"
    assert resolve(reports, expo, chosen="sh").doc_ids == ("sh",)
    assert resolve(reports, "What is China's GDP growth target?", chosen="sh").doc_ids == ("cn",)
    assert resolve(reports, "China GDP target 2024?", chosen="sh").doc_ids == ("cn",)


@needs_shared
def test_the_page_offers_the_reports_and_shows_a_comparison_as_a_table(corpus):
    import app
    from qa import ui

    demo = app.build_app(corpus)
    [menu] = [c for c in demo.config["components"] if c.get("props", {}).get("elem_id") == "qa-report-choice"]
    assert menu["props"]["visible"] and len(menu["props"]["choices"]) == len(corpus.documents)
    assert menu["props"]["value"] == HANGZHOU  # the bundled report until another is chosen
    html = ui.answer_html(ask(corpus, "北京和江苏2026年地区生产总值增长目标分别是多少？"))
    assert '<table class="qa-compare">' in html
    assert "2026年北京市" in html and "2026年江苏省" in html and "<mark>" in html
    single = ui.answer_html(ask(corpus, "去年网络零售额多少？", report=HANGZHOU))
    assert "报告：2021年杭州市政府工作报告" in single


@needs_shared
def test_each_reports_view_is_built_once_and_holds_only_that_report(corpus):
    from qa.pipeline import warm_views

    warm_views(corpus)
    for document in corpus.documents:
        view = corpus.view([document["id"]])
        assert view is corpus.view([document["id"]])  # kept, not rebuilt per question
        assert {c.doc_id for c in view.chunks} == {document["id"]} and len(view.documents) == 1
        assert view.faiss_index.ntotal == len(view.chunks) and view.embedder is corpus.embedder


@needs_shared
def test_with_no_report_chosen_and_none_bundled_the_report_retrieval_likes_best_answers():
    from eval.sets import index_for

    provinces = index_for([f"provincial-2026/{doc}.csv" for doc in (BEIJING, JIANGSU)])
    answer = ask(provinces, "三条文化带是哪三条？")
    assert from_one_report(answer, BEIJING) and cited(answer, "西山永定河")
