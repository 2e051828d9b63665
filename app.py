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

import gradio as gr
from starlette.middleware import Middleware

from qa import feedback, ui
from qa.errors import QAError
from qa.pipeline import ask, load_index
from qa.settings import Settings
from qa.web import MAX_REQUEST_BYTES, MAX_UPLOAD, RequestSizeLimit

CSS = """
.qa-answer mark { background: #fff1b8; padding: 0 2px; border-radius: 3px; }
.qa-answer .qa-text mark { background: #ffd666; font-weight: 600; }
#qa-figures, #qa-figures * { font-family: var(--font); }
.qa-answer .qa-text { font-size: 1.08em; margin: 0 0 .4em; }
.qa-period { display: inline-block; font-size: .8em; padding: 0 .5em; border-radius: 9px;
  background: #e6f4ff; color: #0958d9; border: 1px solid #91caff; white-space: nowrap; }
.qa-meta { color: #666; font-size: .9em; margin: .3em 0; }
.qa-cite { border: 1px solid #e5e5e5; border-radius: 6px; padding: .3em .6em; margin: .35em 0; }
.qa-cite summary { cursor: pointer; }
.qa-para { margin: .4em 0; line-height: 1.7; }
.qa-goto { font-size: .9em; }
.qa-report { max-width: 52em; margin: 0 auto; line-height: 1.8; }
.qa-report h1 { text-align: center; font-size: 1.6em; }
.qa-report h2 { font-size: 1.3em; margin-top: 1.4em; border-bottom: 1px solid #ddd; }
.qa-report h3 { font-size: 1.1em; }
.qa-report .qa-center { text-align: center; margin: .2em 0; }
.qa-report .qa-pid { color: #999; font-size: .75em; text-decoration: none; margin-right: .3em; }
.qa-report .qa-item { padding-left: 1.5em; }
.qa-flash { background: #fff7cc; transition: background 1s; }
"""

# Citation links point at paragraphs on the 原文 tab: switch to it, then scroll once it is shown.
JS = """
() => {
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#para-"]');
    if (!link) return;
    event.preventDefault();
    const id = link.getAttribute("href").slice(1);
    const tab = [...document.querySelectorAll('button[role="tab"]')].find((b) => b.textContent.includes("原文"));
    if (tab) tab.click();
    let tries = 0;
    const go = () => {
      const el = document.getElementById(id);
      if (el && el.offsetParent !== null) {
        el.scrollIntoView({ block: "center" });
        el.classList.add("qa-flash");
        setTimeout(() => el.classList.remove("qa-flash"), 2500);
      } else if (tries++ < 60) setTimeout(go, 50);
    };
    go();
  });
}
"""
# system fonts only: the app must look right on machines without internet (no web-font downloads)
FONTS = ["system-ui", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"]
THEME = gr.themes.Soft(primary_hue="blue", font=FONTS, font_mono=["ui-monospace", "monospace"])
STYLE = {"css": CSS, "js": JS, "theme": THEME}
TITLE = "政府工作报告问答"
log = logging.getLogger("qa.app")


def build_app(index, settings: Settings | None = None) -> gr.Blocks:
    """The three-tab app for a loaded index. Launch it with `demo.launch(**STYLE, ...)`."""
    settings = settings or Settings.from_env()
    feedback_db = feedback.db_path(settings)
    rows = ui.figure_rows(index)
    csv_files = ui.CsvFiles(tempfile.mkdtemp(prefix="qa-figures-"))
    atexit.register(shutil.rmtree, csv_files.folder, True)
    doc = index.documents[0] if index.documents else {}

    def answer_or_plain_error(question, history):
        try:
            return ask(index, question, history)
        except Exception as exc:  # the visitor gets a plain message, the log the details
            log.error("answering %.80r failed: %s", question, exc, exc_info=not isinstance(exc, QAError))
            raise gr.Error(ui.user_message(exc), print_exception=False) from None

    def respond(question, messages, turns):
        question = question if isinstance(question, str) else ""
        if not question.strip():
            gr.Info("请输入一个问题，例如：2020年杭州地区生产总值增长多少？", title="提示")
            return question, messages, turns
        history = [t["question"] for t in turns]
        answer = answer_or_plain_error(question, history)
        shown = question if len(question) <= 200 else question[:200] + "…"
        messages = list(messages or []) + [{"role": "user", "content": ui.user_html(shown)},
                                           {"role": "assistant", "content": ui.answer_html(answer)}]
        turn = {"question": question, "history": history, "answer": answer.text, "found": answer.found,
                "citations": ui.citations_json(answer)}
        return "", messages, list(turns) + [turn]

    def pick_example(messages, turns, evt: gr.SelectData):
        return respond(evt.value.get("text", ""), messages, turns)

    def rate(turns, data: gr.LikeData):
        index_ = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        if not isinstance(data.liked, bool) or not 0 <= index_ // 2 < len(turns):
            return  # a rating taken back, or a message without an answer
        turn = turns[index_ // 2]
        try:
            feedback.record(feedback_db, turn["question"], turn["history"], turn["answer"], turn["citations"],
                            liked=data.liked, found=turn["found"])
        except QAError as exc:
            log.warning("feedback not saved: %s", exc)
            gr.Warning(ui.user_message(exc), title="反馈未保存")
            return
        gr.Info("谢谢反馈！" if data.liked else "谢谢反馈，我们会检查这个回答。", duration=4, title="已记录")

    def filter_figures(keyword, period):
        kept = ui.filter_rows(rows, keyword, period)
        return kept, str(csv_files.path_for(kept)), ui.count_text(kept)

    def show_row(evt: gr.SelectData):
        row = evt.row_value or []
        return ui.paragraph_html(index, row[7], row[6]) if len(row) >= 8 else ui.paragraph_html(index, "")

    def api_ask(question: str, history: list[str] | None = None) -> dict:
        """Answer a question about the report. history: earlier user questions, oldest first."""
        return ui.api_result(answer_or_plain_error(question, history))

    with gr.Blocks(title=TITLE, delete_cache=(3600, 3600), analytics_enabled=False) as demo:
        gr.Markdown(f"## {TITLE}\n{doc.get('title', '')} · 每个回答都附有报告原文出处，可点击查看上下文。")
        turns = gr.State([])
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                chatbot = gr.Chatbot(
                    show_label=False, height=560, placeholder="**问我关于政府工作报告的问题**<br>可以点击下面的例子开始",
                    examples=[{"text": q} for q in ui.EXAMPLES], latex_delimiters=[], allow_tags=False,
                    buttons=["copy"], elem_id="qa-chat")
                with gr.Row():
                    box = gr.Textbox(placeholder="输入问题，例如：去年网络零售额多少？", show_label=False, scale=8,
                                     lines=1, max_lines=4, elem_id="qa-question")
                    send = gr.Button("提问", variant="primary", scale=1, min_width=80)
                    clear = gr.Button("新对话", scale=1, min_width=80)
            with gr.Tab("数据速查", id="figures"):
                with gr.Row():
                    keyword = gr.Textbox(label="关键词（指标或原句）", placeholder="例如：网络零售额", scale=3)
                    period = gr.Dropdown(ui.period_choices(rows), value=ui.ALL_PERIODS, label="时期", scale=2)
                with gr.Row(equal_height=True):
                    count = gr.Markdown(ui.count_text(rows))
                    download = gr.DownloadButton("下载 CSV", value=filter_figures("", ui.ALL_PERIODS)[1], size="sm",
                                                 scale=0, min_width=120)
                table = gr.Dataframe(value=rows, headers=ui.FIGURE_COLUMNS, type="array", interactive=False,
                                     wrap=True, max_height=520, elem_id="qa-figures",
                                     column_widths=["13%", "7%", "7%", "11%", "8%", "14%", "28%", "12%"])
                paragraph = gr.HTML(ui.paragraph_html(index, ""), padding=True)
            with gr.Tab("原文", id="report"):
                gr.HTML(ui.report_html(index), elem_id="qa-report-tab", padding=True)

        ask_inputs, ask_outputs = [box, chatbot, turns], [box, chatbot, turns]
        gr.on([box.submit, send.click], respond, ask_inputs, ask_outputs, api_name="chat",
              api_visibility="undocumented", concurrency_id="qa")
        chatbot.example_select(pick_example, [chatbot, turns], ask_outputs, api_visibility="private",
                               concurrency_id="qa")
        chatbot.like(rate, [turns], None, api_visibility="private", concurrency_limit=None)
        clear.click(lambda: ([], []), None, [chatbot, turns], api_visibility="private")
        chatbot.clear(list, None, turns, api_visibility="private")
        gr.on([keyword.change, period.change], filter_figures, [keyword, period], [table, download, count],
              api_visibility="private")
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
