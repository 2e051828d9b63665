"""Figure extraction: rules on report-style sentences, then a sweep over the whole report."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from qa.figures import Figure, extract_figures, split_sentences

REPORT = Path(__file__).resolve().parent.parent / "data" / "hangzhou-2021-government-work-report.txt"


def rows(text: str) -> list[tuple[str, str, str, str]]:
    return [(f.indicator, f.value, f.unit, f.change) for f in extract_figures(text)]


def test_growth_after_a_figure_is_its_change_not_a_row():
    assert rows("数字经济核心产业实现增加值4290亿元、增长13.3%。") == [
        ("数字经济核心产业增加值", "4290", "亿元", "增长13.3%")
    ]
    assert rows("货物出口3693亿元、增长2.1%，服务外包出口规模居全国第二。") == [
        ("货物出口", "3693", "亿元", "增长2.1%")
    ]
    assert rows("规上工业实现增加值3634亿元，增长3.8%。") == [("规上工业增加值", "3634", "亿元", "增长3.8%")]


def test_growth_alone_is_a_figure():
    assert rows("全年地区生产总值增长3.9%，一般公共预算收入增长6.5%。") == [
        ("地区生产总值", "3.9", "%", "增长3.9%"),
        ("一般公共预算收入", "6.5", "%", "增长6.5%"),
    ]
    assert rows("市控以上断面水质达到或优于Ⅲ类比例同比上升3.8个百分点。")[0][2:] == ("个百分点", "同比上升3.8个百分点")


def test_two_figures_each_with_own_change():
    assert rows("社会消费品零售总额5973亿元、下降3.5%，网络零售额8992亿元、增长19.7%。") == [
        ("社会消费品零售总额", "5973", "亿元", "下降3.5%"),
        ("网络零售额", "8992", "亿元", "增长19.7%"),
    ]


def test_a_nameless_figure_reached_in_the_same_clause_measures_what_the_one_before_does():
    assert rows("地区生产总值增长5.5%、达到10.3万亿元，成为全国第三个过10万亿元省份。")[:2] == [
        ("地区生产总值", "5.5", "%", "增长5.5%"),
        ("地区生产总值", "10.3", "万亿元", ""),
    ]
    assert [r[:2] for r in rows("工业增加值突破1万亿元、达1.19万亿元；")] == [("工业增加值", "1"), ("工业增加值", "1.19")]
    # after a comma the clause is another: its subject is not assumed
    assert rows("粮食产量增长2.1%，达到1.5万吨。")[1][0] == ""


def test_a_count_of_milestones_counts_steps_and_the_level_after_it_measures_their_subject():
    # 3个 counts 千亿元台阶, not 地区生产总值: "去年GDP多少？" must not be answered with it
    assert [r[:3] for r in rows("地区生产总值跨越3个千亿元台阶，达到1.5万亿元、增长19.8%。")] == [
        ("千亿元台阶", "3", "个"), ("地区生产总值", "1.5", "万亿元")]
    assert [r[:3] for r in rows("地区生产总值连续迈上4个万亿元台阶、达14.2万亿元、年均增长5.7%。")] == [
        ("万亿元台阶", "4", "个"), ("地区生产总值", "14.2", "万亿元")]


def test_scaled_counts():
    assert rows("⑦新建中小学、幼儿园87所，新增学位8万个；")[-1] == ("新增学位", "8", "万个", "")
    assert rows("完成回迁安置1.1万户；") == [("回迁安置", "1.1", "万户", "")]


def test_from_to():
    (fig,) = extract_figures("全市发展跃上新台阶：经济总量从1.05万亿元增加到1.61万亿元，")
    assert (fig.indicator, fig.value, fig.unit) == ("经济总量", "1.61", "万亿元")
    assert fig.change == "从1.05万亿元增加到1.61万亿元"
    assert rows("空气优良天数由242天增加至334天。") == [("空气优良天数", "334", "天", "由242天增加至334天")]


def test_from_to_lists_pair_up():
    assert rows("城乡居民收入分别从4.8万元、2.6万元增加到6.9万元、3.9万元。") == [
        ("城乡居民收入", "6.9", "万元", "从4.8万元增加到6.9万元"),
        ("城乡居民收入", "3.9", "万元", "从2.6万元增加到3.9万元"),
    ]


def test_respectively():
    assert rows("城乡居民收入分别增长3.9%和6.7%。") == [
        ("城乡居民收入", "3.9", "%", "增长3.9%"),
        ("城乡居民收入", "6.7", "%", "增长6.7%"),
    ]
    assert rows("社会消费品零售总额、网络零售额分别增长8%、10%。") == [
        ("社会消费品零售总额", "8", "%", "增长8%"),
        ("网络零售额", "10", "%", "增长10%"),
    ]
    assert rows("全市金融机构本外币存贷款余额分别为5.4万亿元、5万亿元，分别增长19.8%、17.9%。") == [
        ("全市金融机构本外币存贷款余额", "5.4", "万亿元", "增长19.8%"),
        ("全市金融机构本外币存贷款余额", "5", "万亿元", "增长17.9%"),
    ]


def test_threshold_without_digit_or_before_another_figure_is_a_qualifier():
    got = rows("招引亿元以上产业项目710个、总投资3801亿元，其中10亿元以上产业项目126个。")
    assert [r[1:3] for r in got] == [("710", "个"), ("3801", "亿元"), ("126", "个")]
    assert got[0][0].endswith("亿元以上产业项目")
    assert got[1][0] == "总投资"
    assert got[2][0] == "10亿元以上产业项目"
    assert rows("新引进35岁以下大学生43.6万人。") == [("新引进35岁以下大学生", "43.6", "万人", "")]


def test_qualifier_kept_in_unit():
    got = rows("地区生产总值增长7%，研发与试验发展经费支出与地区生产总值之比3.6%左右。")
    assert got[0] == ("地区生产总值", "7", "%", "增长7%")
    assert got[1] == ("研发与试验发展经费支出与地区生产总值之比", "3.6", "%左右", "")
    assert rows("城镇登记失业率控制在3.5%以内。") == [("城镇登记失业率", "3.5", "%以内", "")]


def test_an_approximate_count_and_the_rarer_measure_words_are_figures():
    # 余 as 多 ("80余家"), and 颗, 列, 头, 度, 起: the reports' counts of satellites, trains, cattle, power, cases
    assert rows("新增80余家央企二三级子公司。")[0][1:3] == ("80", "余家")
    assert rows("东方航天港海上发射卫星137颗。") == [("东方航天港海上发射卫星", "137", "颗", "")]
    assert [r[1:3] for r in rows("中欧班列开行924列，肉牛屠宰加工量突破80万头，输出345亿度，完成并购重组397起。")] == [
        ("924", "列"), ("80", "万头"), ("345", "亿度"), ("397", "起")]
    assert rows("已有2000余年历史。")[0][1:3] == ("2000", "余年")  # not a date


def test_count_before_noun_takes_the_noun():
    assert rows("累计治愈出院204例确诊病例，无死亡病例。") == [("治愈出院确诊病例", "204", "例", "")]
    (fig,) = extract_figures("选派1.1万名干部助企渡难关。")
    assert (fig.value, fig.unit) == ("1.1", "万名") and "干部" in fig.indicator


def test_dates_ordinals_codes_are_not_figures():
    assert rows("（2021年2月3日在杭州市第十三届人民代表大会第六次会议上）") == []
    assert rows("2020年是极不平凡的一年。") == []
    assert rows("“十四五”时期杭州经济社会发展的主要目标是：") == []
    assert rows("大力推进5G网络建设，圆满完成G20杭州峰会服务保障任务，修订出台“凤凰行动”2.0版。") == []
    assert rows("市区PM2.5平均浓度下降21%。") == [("市区PM2.5平均浓度", "21", "%", "下降21%")]
    assert rows("1.建成农村家宴“阳光厨房”110家。") == [("建成农村家宴阳光厨房", "110", "家", "")]
    assert rows("成为全国唯一连续14年入选的城市。")[0][1:3] == ("14", "年")


def test_offsets_and_sentence():
    text = "前言。社会消费品零售总额5973亿元、下降3.5%；网络零售额8992亿元"
    figs = extract_figures(text)
    assert [text[f.start : f.end] for f in figs] == ["5973亿元", "8992亿元"]
    assert figs[0].sentence == "社会消费品零售总额5973亿元、下降3.5%；"
    assert figs[1].sentence == "网络零售额8992亿元"


def test_full_width_digits():
    (fig,) = extract_figures("网络零售额８９９２亿元。")
    assert (fig.value, fig.unit, fig.indicator) == ("８９９２", "亿元", "网络零售额")


def test_split_sentences():
    text = "甲。乙！丙？丁；“戊。”己"
    assert [text[a:b] for a, b in split_sentences(text)] == ["甲。", "乙！", "丙？", "丁；", "“戊。”", "己"]


@pytest.fixture(scope="module")
def report_figures() -> list[tuple[str, Figure]]:
    lines = REPORT.read_text(encoding="utf-8").splitlines()
    return [(line, f) for line in lines for f in extract_figures(line)]


def test_whole_report(report_figures):
    assert len(report_figures) >= 150
    for line, f in report_figures:
        assert f.value in line[f.start : f.end]
        assert line[f.start : f.end] == f.value + f.unit
        assert f.sentence in line
        assert not (f.unit == "年" and len(f.value) == 4), f
    named = sum(bool(f.indicator) for _, f in report_figures)
    assert named / len(report_figures) > 0.9


def test_report_lookup(report_figures):
    table = {(f.indicator, f.value + f.unit): f.change for _, f in report_figures}
    assert table[("网络零售额", "8992亿元")] == "增长19.7%"
    assert table[("新增学位", "8万个")] == ""
    assert table[("经济总量", "1.61万亿元")] == "从1.05万亿元增加到1.61万亿元"


# ------------------------------------------------------------------------------------------------ issue 11: the table


@pytest.fixture(scope="module")
def table_rows():
    from qa.figure_table import figure_rows
    from qa.pipeline import load_index

    return figure_rows(load_index())


def test_amounts_are_in_base_units():
    from qa.figure_table import amount

    assert amount("1.61", "万亿元") == pytest.approx(1.61e12)
    assert amount("8992", "亿元") == pytest.approx(8.992e11)
    assert amount("８９９２", "亿元") == pytest.approx(8.992e11)
    assert amount("3.5", "%以内") == 3.5 and amount("1.1", "万名") == pytest.approx(11000)


def test_sorting_by_value_reads_the_unit(table_rows):
    """Issue 11: sorting compared bare numbers, so 万亿元 and 亿元 values interleaved."""
    from qa.figure_table import SORTS, sort_rows

    money = [r for r in sort_rows(table_rows, SORTS[1]) if r.measure == "元"]
    shown = [r.shown for r in money]
    assert shown.index("1.61万亿元") < shown.index("8992亿元") < shown.index("5973亿元")
    assert all(a.amount >= b.amount for a, b in itertools.pairwise(money))
    rising = [r for r in sort_rows(table_rows, SORTS[2]) if r.measure == "元"]
    assert [r.amount for r in rising] == sorted(r.amount for r in money)
    assert [r.order for r in sort_rows(money, SORTS[0])] == sorted(r.order for r in money)


def test_search_goes_through_the_glossary_and_any_word_order(table_rows):
    """Issue 11: GDP found 0 rows, 新增城镇就业 found 0 (the report says 城镇新增就业), 1.61万亿元 could not be found."""
    from qa.figure_table import search

    gdp = {(r.indicator, r.shown, r.period) for r in search(table_rows, "GDP")}
    assert ("地区生产总值", "3.9%", "2020年实绩") in gdp and ("地区生产总值", "7%", "2021年安排") in gdp
    assert ("经济总量", "1.61万亿元", "十三五回顾") in gdp  # 2020's total, said as 经济总量
    assert not any(name.startswith("一般公共预算收入") for name, _, _ in gdp)  # GDP's rows, not its sentence's
    jobs = search(table_rows, "新增城镇就业")
    assert {r.shown for r in jobs} >= {"69.1万人", "25万人"} and all("城镇新增就业" in r.indicator for r in jobs)
    assert {r.shown for r in search(table_rows, "online retail")} == {r.shown for r in search(table_rows, "网络零售额")}
    assert search(table_rows, "GDP", period="2021年安排") and all(
        r.period == "2021年安排" for r in search(table_rows, "GDP", period="2021年安排"))
    assert search(table_rows, "没有这种指标的说法") == []
    assert search(table_rows, "网络零售额" + "。" * 100_000) == search(table_rows, "网络零售额")  # pasted text: its start


def test_rows_name_their_section_and_report_not_a_paragraph_id(table_rows):
    row = next(r for r in table_rows if r.shown == "8992亿元")
    assert row.section == "（一）战疫情促发展，交出“两战全赢”高分报表" and "#" not in row.section
    assert row.report == "2021年杭州市政府工作报告"


def test_periods_are_offered_in_time_order(table_rows):
    from qa.figure_table import ALL, period_choices

    assert period_choices(table_rows) == [ALL, "十三五回顾", "2020年实绩", "2021年安排", "十四五规划"]


def test_chart_points_follow_one_indicator_by_period(table_rows):
    from qa.figure_table import chart_points, search

    indicator, unit, points = chart_points(search(table_rows, "GDP"))
    assert (indicator, unit) == ("地区生产总值", "%")
    assert [(p["时期"], p["数值"]) for p in points] == [("2020年实绩", 3.9), ("2021年安排", 7.0)]
    assert chart_points(search(table_rows, "网络零售额"))[1] == "亿元"
    assert chart_points([]) == ("", "", [])
