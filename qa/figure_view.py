"""The 数据速查 tab's presentation: the table's data, a phone's cards, the chart's data and the CSV files.

Rows come from qa.figure_table; HTML escaping and links into 原文 from qa.ui.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import threading
from html import escape
from pathlib import Path

from qa import figure_table
from qa.ui import goto_link, heading_text

TABLE_COLUMNS = ["指标", "数值", "变化", "时期", "出处"]  # on screen; the CSV has every field
CSV_COLUMNS = ["指标", "数值", "单位", "基本单位数值", "基本单位", "变化", "时期", "章节", "原句", "段落", "报告"]
MAX_CARDS = 120  # phone cards shown at once; the count says how many more a keyword would narrow down


def table_columns(many_reports: bool) -> list[str]:
    return (["报告"] if many_reports else []) + TABLE_COLUMNS


def table_value(rows, many_reports: bool = False) -> dict:
    """The on-screen table, as Gradio's table data: the 数值 column holds base-unit amounts (so the column menu
    sorts 1.61万亿元 above 8992亿元) while each cell shows the value as written, with its unit."""
    head = table_columns(many_reports)
    lead = (lambda r: [r.report]) if many_reports else (lambda r: [])
    data = [lead(r) + [r.indicator, r.amount, r.change, r.period, r.section] for r in rows]
    shown = [lead(r) + [r.indicator, r.shown, r.change, r.period, r.section] for r in rows]
    return {"headers": head, "data": data or [[""] * len(head)],
            "metadata": {"display_value": shown or [[""] * len(head)], "styling": [[""] * len(head) for _ in data]}}


def row_for(rows, values) -> figure_table.FigureRow | None:
    """The figure row a clicked table row shows (the table may be sorted in the browser, so match by content)."""
    values = list(values or [])
    if len(values) < len(TABLE_COLUMNS):
        return None
    name, value, _, period, section = values[-5:]

    def same(r) -> bool:  # the amount may come back from the browser as a float or as the text shown
        return value in (r.amount, r.shown) or (isinstance(value, float) and r.amount is not None
                                                and abs(value - r.amount) <= 1e-9 * max(1.0, abs(r.amount)))

    return next((r for r in rows if (r.indicator, r.period, r.section) == (name, period, section) and same(r)), None)


def cards_html(rows, many_reports: bool = False) -> str:
    """The figures as cards for a phone: a table squeezed to 390 px showed one character a line."""
    cards = []
    for r in rows[:MAX_CARDS]:
        report = f'<p class="qa-card-report">{escape(r.report)}</p>' if many_reports else ""
        change = f' <span class="qa-card-change">{escape(r.change)}</span>' if r.change and r.change != r.shown else ""
        cards.append(
            f'<li class="qa-card">{report}<p class="qa-card-name">{escape(r.indicator or "（未命名）")}</p>'
            f'<p class="qa-card-value"><b>{escape(r.shown)}</b>{change} <span class="qa-period">{escape(r.period)}</span></p>'
            f'<p class="qa-card-source">{escape(r.section)}</p>{goto_link(r.paragraph_id, r.sentence, "原文 →")}</li>')
    more = len(rows) - MAX_CARDS
    note = f'<p class="qa-meta">另有 {more} 条，输入关键词或选择时期可缩小范围。</p>' if more > 0 else ""
    empty = '<p class="qa-meta">没有找到。换个说法试试，例如：GDP、网络零售额、就业。</p>' if not rows else ""
    return f'<ol class="qa-cards">{"".join(cards)}</ol>{note}{empty}'


def chart_value(rows, many_reports: bool = False) -> tuple[object, dict]:
    """The chart of the filtered rows' indicator by period: (DataFrame, BarPlot settings)."""
    import pandas as pd

    indicator, unit, points = figure_table.chart_points(rows, by_report=many_reports)
    frame = pd.DataFrame(points, columns=["时期", "数值", "报告", "rank"]).drop(columns="rank")
    periods = list(dict.fromkeys(p["时期"] for p in points))
    title = f"{indicator}（{unit}）按时期" if indicator else "没有可画的数据"
    return frame, {"title": title, "y_title": unit or "数值", "sort": periods or None, "y_lim": [0, None],
                   "color": "报告" if many_reports else None}


def count_text(rows) -> str:
    return f"共 {len(rows)} 条数据"


def csv_bytes(rows) -> bytes:
    """The figures as CSV (every field, base-unit amounts too), with a BOM so spreadsheets read the Chinese."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([r.indicator, r.value, r.unit, _plain_number(r.amount), r.measure, r.change,
                      r.period, heading_text(r.heading_path), r.sentence, r.paragraph_id, r.report] for r in rows)
    return text.getvalue().encode("utf-8-sig")


def _plain_number(amount: float | None) -> str:
    """A number a spreadsheet reads as written: 8.992e11 -> "899200000000", 3.5 -> "3.5"."""
    return "" if amount is None else f"{amount:.6f}".rstrip("0").rstrip(".")


def write_csv(rows, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_bytes(rows))
    return path


class CsvFiles:
    """The figures tab's download files: one per distinct content, at most `keep` of them in `folder`.

    Named after their content, the same rows reuse one file whatever keyword selected them; past `keep`
    files the least recently used is removed, so anonymous filtering cannot fill the disk. (Gradio copies
    a returned file into its own cache at once, so removing ours later never breaks a download.)
    """

    def __init__(self, folder: Path, keep: int = 32):
        self.folder, self.keep, self.lock = Path(folder), keep, threading.Lock()
        self.folder.mkdir(parents=True, exist_ok=True)

    def path_for(self, rows) -> Path:
        data = csv_bytes(rows)
        path = self.folder / f"figures-{hashlib.sha256(data).hexdigest()[:16]}.csv"
        with self.lock:
            if path.is_file():
                os.utime(path)  # recently used: kept longest
            else:
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, path)  # atomic: a reader never sees half a file
            files = sorted(self.folder.glob("figures-*.csv"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
            for old in files[self.keep :]:
                old.unlink(missing_ok=True)
        return path
