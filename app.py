"""The chat page: layout and event wiring only (rendering lives in qa.ui, storage in qa.feedback).

Start: `python app.py` (or `qa serve`); host and port come from QA_HOST / QA_PORT.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import shutil
import sys
import tempfile
import threading
import uuid

import gradio as gr
from starlette.middleware import Middleware

from qa import feedback, figure_table, figure_view, ui
from qa.errors import QAError
from qa.pipeline import ask, default_report, load_index, report_label, warm_views
from qa.settings import Settings
from qa.web import MAX_REQUEST_BYTES, MAX_UPLOAD, RequestSizeLimit

CSS, JS, HEAD = ui.page_assets()  # qa/static: the page's look, its links into 原文 and its Chinese labels
# system fonts only: the app must look right on machines without internet (no web-font downloads)
FONTS = ["system-ui", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"]
THEME = gr.themes.Soft(primary_hue="blue", font=FONTS, font_mono=["ui-monospace", "monospace"])
STYLE = {"css": CSS, "js": JS, "head": HEAD, "theme": THEME, "i18n": gr.I18n(**ui.i18n_translations())}
TITLE = "政府工作报告问答"
log = logging.getLogger("qa.app")


def build_app(index, settings: Settings | None = None) -> gr.Blocks:
    """The three-tab app for a loaded index. Launch it with `demo.launch(**STYLE, ...)`."""
    settings = settings or Settings.from_env()
    feedback_db = feedback.db_path(settings)
    rows = figure_table.figure_rows(index)
    many = len(index.documents) > 1  # a report filter, column and chart colour only when there is a choice
    csv_files = figure_view.CsvFiles(tempfile.mkdtemp(prefix="qa-figures-"))
    atexit.register(shutil.rmtree, csv_files.folder, True)
    doc = index.documents[0] if index.documents else {}
    title = "、".join(d.get("title", "") for d in index.documents[:3]) + ("等" if len(index.documents) > 3 else "")

    reports = [(report_label(d), d["id"]) for d in index.documents]
    chosen_first = default_report(index) or (reports[0][1] if reports else None)

    def answer_or_plain_error(question, history, chosen=None):
        try:
            return ask(index, question, history, report=chosen or None)  # an unknown id: the reply lists the reports
        except Exception as exc:  # the visitor gets a plain message, the log the details
            log.error("answering %.80r failed: %s", question, exc, exc_info=not isinstance(exc, QAError))
            raise gr.Error(ui.user_message(exc), print_exception=False) from None

    def respond(question, messages, turns, chosen=None):
        question = question if isinstance(question, str) else ""
        if not question.strip():
            gr.Info("请输入一个问题，例如：2020年杭州地区生产总值增长多少？", title="提示")
            return question, messages, turns
        history = [t["question"] for t in turns]
        answer = answer_or_plain_error(question, history, chosen)
        shown = question if len(question) <= 200 else question[:200] + "…"
        messages = list(messages or []) + [{"role": "user", "content": ui.user_html(shown)},
                                           {"role": "assistant", "content": ui.answer_html(answer)}]
        turn = {"id": uuid.uuid4().hex, "question": question, "history": history, "answer": answer.text,
                "found": answer.found, "citations": ui.citations_json(answer)}
        return "", messages, list(turns) + [turn]

    def pick_example(messages, turns, chosen, evt: gr.SelectData):
        return respond(evt.value.get("text", ""), messages, turns, chosen)

    def rate(turns, data: gr.LikeData):
        index_ = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        if not isinstance(index_, int) or not 0 <= index_ // 2 < len(turns):
            return  # a message without an answer
        turn = turns[index_ // 2]
        try:
            if not isinstance(data.liked, bool):  # the same thumb clicked again: the vote is taken back
                feedback.withdraw(feedback_db, turn.get("id") or "")
                return
            feedback.record(feedback_db, turn["question"], turn["history"], turn["answer"], turn["citations"],
                            liked=data.liked, found=turn["found"], answer_id=turn.get("id"))
        except QAError as exc:
            log.warning("feedback not saved: %s", exc)
            gr.Warning(ui.user_message(exc), title="反馈未保存")
            return
        gr.Info("谢谢反馈！" if data.liked else "谢谢反馈，我们会检查这个回答。", duration=4, title="已记录")

    def kept_rows(keyword, period, report, order):
        return figure_table.sort_rows(figure_table.search(rows, keyword, period, report), order)

    def filter_figures(keyword, period=figure_table.ALL, report=figure_table.ALL, order=figure_table.SORTS[0]):
        kept = kept_rows(keyword, period, report, order)
        chart = figure_view.chart_value(kept, many)[1]  # its data follows in chart_data: an update with both keeps old data
        return (figure_view.table_value(kept, many), figure_view.cards_html(kept, many), gr.BarPlot(**chart),
                str(csv_files.path_for(kept)), figure_view.count_text(kept))

    def chart_data(keyword, period=figure_table.ALL, report=figure_table.ALL, order=figure_table.SORTS[0]):
        return figure_view.chart_value(kept_rows(keyword, period, report, order), many)[0]

    def show_row(evt: gr.SelectData):
        row = figure_view.row_for(rows, evt.row_value)
        return ui.paragraph_html(index, row.paragraph_id, row.sentence) if row else ui.paragraph_html(index, "")

    def api_ask(question: str, history: list[str] | None = None, report: str | None = None) -> dict:
        """Answer a question about the report. history: earlier user questions, oldest first; report: the id of
        the report to answer from when the question names no place (default: none; in an index of several
        reports, the likeliest ones and the bundled one each answer and the most probable answer wins)."""
        return ui.api_result(answer_or_plain_error(question, history, report))

    first = filter_figures("")
    with gr.Blocks(title=TITLE, delete_cache=(3600, 3600), analytics_enabled=False) as demo:
        gr.Markdown(f"## {TITLE}\n{title or doc.get('title', '')} · 每个回答都附有报告原文出处，可点击查看上下文。",
                    elem_id="qa-header")
        turns = gr.State([])
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                chatbot = gr.Chatbot(
                    show_label=False, height=560, placeholder="**问我关于政府工作报告的问题**<br>可以点击下面的例子开始",
                    examples=[{"text": q} for q in ui.EXAMPLES], latex_delimiters=[], allow_tags=False,
                    buttons=["copy"], elem_id="qa-chat", autoscroll=False)
                chosen = gr.Dropdown(reports, value=chosen_first, label="报告（问题里说了地方或年份时，以问题为准）",
                                     visible=many, elem_id="qa-report-choice")
                with gr.Row(elem_id="qa-ask-row"):
                    box = gr.Textbox(placeholder="输入问题，例如：去年网络零售额多少？", show_label=False, scale=8,
                                     lines=1, max_lines=4, elem_id="qa-question")
                    send = gr.Button("提问", variant="primary", scale=1, min_width=56)
                    clear = gr.Button("新对话", scale=1, min_width=64, elem_id="qa-new")
            with gr.Tab("数据速查", id="figures"):
                with gr.Row(elem_id="qa-filters"):
                    keyword = gr.Textbox(label="查找指标", placeholder="例如：GDP、网络零售额、城镇新增就业", scale=3,
                                         min_width=200, elem_id="qa-keyword")
                    period = gr.Dropdown(figure_table.period_choices(rows), value=figure_table.ALL, label="时期",
                                         scale=1, min_width=120)
                    report = gr.Dropdown(figure_table.report_choices(rows), value=figure_table.ALL, label="报告",
                                         scale=2, min_width=160, visible=many)
                    order = gr.Dropdown(list(figure_table.SORTS), value=figure_table.SORTS[0], label="排序",
                                        scale=1, min_width=120, elem_id="qa-sort")
                with gr.Row(equal_height=True):
                    count = gr.Markdown(first[4])
                    download = gr.DownloadButton("下载 CSV", value=first[3], size="sm", scale=0, min_width=120)
                with gr.Row():
                    with gr.Column(scale=3, min_width=300):
                        table = gr.Dataframe(value=first[0], type="array", interactive=False, wrap=True,
                                             max_height=460, elem_id="qa-figures", show_label=False,
                                             column_widths=(["16%"] if many else []) + ["26%", "13%", "19%", "15%", "27%"])
                        cards = gr.HTML(first[1], elem_id="qa-cards")
                    with gr.Column(scale=2, min_width=300):
                        chart_frame, chart_options = figure_view.chart_value(rows, many)
                        chart = gr.BarPlot(chart_frame, x="时期", y="数值", height=240, elem_id="qa-chart",
                                           show_label=False, **chart_options)
                        paragraph = gr.HTML(ui.paragraph_html(index, ""), padding=True, elem_id="qa-row-paragraph")
            with gr.Tab("原文", id="report"):
                gr.HTML(ui.report_html(index), elem_id="qa-report-tab", padding=True)

        ask_inputs, ask_outputs = [box, chatbot, turns, chosen], [box, chatbot, turns]
        gr.on([box.submit, send.click], respond, ask_inputs, ask_outputs, api_name="chat",
              api_visibility="undocumented", concurrency_id="qa")
        chatbot.example_select(pick_example, [chatbot, turns, chosen], ask_outputs, api_visibility="private",
                               concurrency_id="qa")
        chatbot.like(rate, [turns], None, api_visibility="private", concurrency_limit=None)
        clear.click(lambda: ([], []), None, [chatbot, turns], api_visibility="private")
        chatbot.clear(list, None, turns, api_visibility="private")
        filters = [keyword, period, report, order]
        gr.on([keyword.change, period.change, report.change, order.change], filter_figures, filters,
              [table, cards, chart, download, count], api_visibility="private").then(
                  chart_data, filters, chart, api_visibility="private")
        table.select(show_row, None, paragraph, api_visibility="private")
        gr.api(api_ask, api_name="ask", concurrency_id="qa")
    return demo


def error_app(message: str) -> gr.Blocks:
    """What the page shows when the index or model cannot be loaded: a plain message, not a traceback.

    Its `ask` API answers every call with the same message as an error, so a client learns the reason.
    """
    def unavailable(question: str, history: list[str] | None = None) -> dict:
        """Answer a question about the report (unavailable now: the error says why)."""
        raise gr.Error(message, print_exception=False)

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"## {TITLE}\n**暂时无法回答问题。** 原因：")
        gr.Textbox(message, show_label=False, interactive=False)
        gr.api(unavailable, api_name="ask")
    return demo


def make_demo(settings: Settings) -> gr.Blocks:
    """The app on the configured index with the model loaded, or the error page saying plainly why not."""
    try:
        index = load_index(settings=settings)
        ask(index, ui.EXAMPLES[0])  # load the model now, not on the first visitor's question
        threading.Thread(target=warm_views, args=(index,), daemon=True, name="warm-views").start()
        return build_app(index, settings)
    except Exception as exc:  # whatever stops the start, the page says so instead of crashing
        log.error("cannot serve answers: %s", exc, exc_info=not isinstance(exc, QAError))
        return error_app(ui.user_message(exc))


def launch_options(settings: Settings) -> dict:
    """Everything `launch` needs besides the app: address, style, and the limits on what a request may send."""
    return {"server_name": settings.host, "server_port": settings.port, "share": False, "max_file_size": MAX_UPLOAD,
            "app_kwargs": {"middleware": [Middleware(RequestSizeLimit, max_bytes=MAX_REQUEST_BYTES)]}, **STYLE}


def main(argv: list[str] | None = None) -> int:
    """Load the index, warm the model and serve until interrupted (used by `qa serve`)."""
    parser = argparse.ArgumentParser(prog="app.py", description="Start the 报告问答 web app.")
    parser.add_argument("--host", help="address to listen on (default: QA_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: QA_PORT or 7860)")
    args = parser.parse_args(argv)
    settings = Settings.from_env(**{k: v for k, v in vars(args).items() if v})
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    demo = make_demo(settings)
    # Two questions at a time, one model thread each, keep both cores busy (bench/RESULTS.md, Load).
    demo.queue(default_concurrency_limit=2).launch(**launch_options(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
