"""Command line: `qa build` (or `--add`), `qa remove`, `qa list`, `qa ask`, `qa eval`, `qa serve`, `qa feedback export`
(heavy imports happen inside)."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import asdict
from pathlib import Path

from qa.errors import QAError
from qa.settings import Settings

BOLD, RESET = "\033[1m", "\033[0m"
SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """Text that encodes as UTF-8: undecodable argument bytes (surrogate escapes) and lone surrogates -> U+FFFD.

    Example: the argument b"GDP\\xff" arrives as "GDP\\udcff" and is answered and printed as "GDP\\ufffd".
    """
    return SURROGATE.sub("\ufffd", text)


def _bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    print(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} texts", end="", file=sys.stderr, flush=True)
    if done >= total:
        print(file=sys.stderr)


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def cmd_build(args, settings: Settings) -> int:
    from qa.index import save
    from qa.pipeline import build_index

    out = Path(args.index or settings.index_dir)
    if args.add:
        from qa.corpus import add_reports

        if args.files:
            _say("qa: with --add, name the files after it: qa build --add FILE [FILE …]")
            return 2
        change = add_reports([Path(p) for p in args.add], out, settings, progress=_say, embed_progress=_bar)
        index = change.index
        print(f"added {', '.join(change.added)} to {out} ({change.embedded} texts embedded, "
              f"{change.reused} from the embedding cache)")
    else:
        paths = [Path(p) for p in args.files] or list(settings.reports)
        index = build_index(paths, settings, progress=_say, embed_progress=_bar)
        save(index, out)
    counts = index.manifest["counts"]
    print(f"built {out}: {counts['documents']} report(s), {counts['paragraphs']} paragraphs, {counts['chunks']} chunks")
    return 0


def cmd_remove(args, settings: Settings) -> int:
    from qa.corpus import remove_reports

    out = Path(args.index or settings.index_dir)
    counts = remove_reports(args.ids, out).index.manifest["counts"]
    print(f"removed {', '.join(args.ids)} from {out}: {counts['documents']} report(s), {counts['chunks']} chunks left")
    return 0


def cmd_list(args, settings: Settings) -> int:
    from qa.corpus import report_rows
    from qa.index import load

    rows = report_rows(load(Path(args.index or settings.index_dir)))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for row in rows:
        print("\t".join(str(row[k] if row[k] is not None else "") for k in ("id", "place", "year", "title", "paragraphs")))
    return 0


def answer_record(answer) -> dict:
    return {
        "question": answer.question,
        "resolved": answer.resolved,
        "answer": answer.text,
        "marks": [list(m) for m in answer.marks],
        "found": answer.found,
        "period": answer.period,
        "report": answer.report,
        "report_title": answer.report_title,
        "citations": [dict(asdict(c), heading_path=list(c.heading_path)) for c in answer.citations],
        "rows": [answer_record(row) for row in answer.rows],  # a comparison: one answer per report
    }


def render(answer, color: bool, full: bool = False) -> str:
    """The answer (figures in bold) after its period; then a line a citation: where it is and the answering
    sentence, or with `full` the whole paragraph, the sentence in 【】."""
    bold = (lambda s: f"{BOLD}{s}{RESET}") if color else (lambda s: f"**{s}**")
    text, last, parts = answer.text, 0, []
    for start, end in answer.marks:
        parts += [text[last:start], bold(text[start:end])]
        last = end
    lines = [("" if not answer.period else f"[{answer.period}] ") + "".join(parts + [text[last:]])]
    if answer.report_title:  # which report answered: the first line says it, the citations follow
        lines[0] += f"（{answer.report_title}）"
    if not full:
        from qa.excerpts import sentence_of

        return "\n".join(lines + [f"[{n}] {' › '.join(c.heading_path) or '（前言）'} · {c.period}：{sentence_of(c.text, c.marked, headings=c.heading_path)}"
                                   for n, c in enumerate(answer.citations, 1)])
    for number, c in enumerate(answer.citations, 1):
        para = c.text
        if c.marked:
            a, b = c.marked
            para = para[:a] + "【" + para[a:b] + "】" + para[b:]
        lines += ["", f"[{number}] {' › '.join(c.heading_path) or '（前言）'} · {c.period} · {c.paragraph_id}", f"    {para}"]
    return "\n".join(lines)


def cmd_ask(args, settings: Settings) -> int:
    if not valid_text(args.question).strip():
        print('qa: 问题是空的。请给出一个问题，例如：qa ask "2020年杭州地区生产总值增长多少？"', file=sys.stderr)
        return 2
    from qa.pipeline import ask, load_index

    index = load_index(args.index or settings.index_dir, settings)
    if args.report and args.report not in (ids := [d["id"] for d in index.documents]):
        print(f"qa: no report {args.report} in the index; its reports: {', '.join(ids)}", file=sys.stderr)
        return 2
    answer = ask(index, valid_text(args.question), [valid_text(q) for q in args.history or ()], report=args.report)
    if args.json:
        print(valid_text(json.dumps(answer_record(answer), ensure_ascii=False, indent=1)))
    else:
        print(valid_text(render(answer, sys.stdout.isatty(), full=args.full)))
    return 0


def cmd_serve(args, settings: Settings) -> int:
    import os

    if args.index:  # the app reads its index folder from the settings, i.e. from QA_INDEX_DIR
        os.environ["QA_INDEX_DIR"] = str(Path(args.index).resolve())
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import app

    return app.main([*(["--host", args.host] if args.host else []), *(["--port", str(args.port)] if args.port else [])]) or 0


def cmd_eval(args, settings: Settings) -> int:
    import runpy

    sys.argv = ["eval", *args.rest]
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    try:
        runpy.run_module("eval", run_name="__main__")
    except SystemExit as done:
        return int(done.code or 0)
    return 0


def cmd_feedback(args, settings: Settings) -> int:
    from qa.feedback import export_dislikes

    db = Path(args.db) if args.db else settings.data_dir / "feedback.sqlite3"
    count = export_dislikes(db, Path(args.out))
    print(f"wrote {count} disliked answer(s) to {args.out}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qa", description="报告问答: ask a government work report, get cited answers.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="index reports (default: the bundled report), or add some to an index",
                       description="Example: qa build data/hangzhou-2021-government-work-report.txt; "
                       "qa build --add ../shared/data/national-2024-government-work-report.txt")
    b.add_argument("files", nargs="*", help="reports (.txt/.md UTF-8 or GBK, .html, .docx, .pdf) or .csv/.jsonl "
                   "datasets of one report a row")
    b.add_argument("--add", nargs="+", metavar="FILE", help="add these to the existing index instead of rebuilding "
                   "it (only their texts are embedded)")
    b.add_argument("--index", help="index folder (default: index/ or QA_INDEX_DIR)")
    b.set_defaults(run=cmd_build)
    r = sub.add_parser("remove", help="remove reports from an index, by id (see qa list)",
                       description="Example: qa remove national-2024-government-work-report")
    r.add_argument("ids", nargs="+", metavar="ID")
    r.add_argument("--index", help="index folder (default: index/ or QA_INDEX_DIR)")
    r.set_defaults(run=cmd_remove)
    ls = sub.add_parser("list", help="the reports in an index", description="Example: qa list --index corpus/")
    ls.add_argument("--index", help="index folder (default: index/ or QA_INDEX_DIR)")
    ls.add_argument("--json", action="store_true", help="machine-readable output (also level, meeting date)")
    ls.set_defaults(run=cmd_list)
    a = sub.add_parser("ask", help="answer one question", description='Example: qa ask "2020年杭州地区生产总值增长多少？"')
    a.add_argument("question")
    a.add_argument("--history", nargs="*", help="earlier questions, oldest first, for a follow-up")
    a.add_argument("--json", action="store_true", help="machine-readable output")
    a.add_argument("--full", action="store_true", help="print each cited paragraph whole, not only its answering sentence")
    a.add_argument("--index", help="index folder (default: index/ or QA_INDEX_DIR)")
    a.add_argument("--report", help="the report id to answer from when the question names no place or year "
                   "(default: none; the likeliest reports and the bundled one each answer, the surest answer wins; "
                   "`qa list` shows the ids)")
    a.set_defaults(run=cmd_ask)
    s = sub.add_parser("serve", help="start the chat app", description="Example: qa serve --port 7860")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--index", help="index folder to serve (default: index/ or QA_INDEX_DIR)")
    s.set_defaults(run=cmd_serve)
    e = sub.add_parser("eval", help="score the pipeline on a Q&A set", description="Example: qa eval --qa eval/qa.jsonl")
    e.add_argument("rest", nargs=argparse.REMAINDER, help="options passed to python -m eval")
    e.set_defaults(run=cmd_eval)
    f = sub.add_parser("feedback", help="export disliked answers as eval cases",
                       description="Example: qa feedback export bad.jsonl")
    f.add_argument("action", choices=["export"])
    f.add_argument("out", help="JSONL file to write")
    f.add_argument("--db", help="feedback database (default: QA_DATA_DIR/feedback.sqlite3)")
    f.set_defaults(run=cmd_feedback)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code = args.run(args, Settings.from_env())
        sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
        return code
    except BrokenPipeError:  # the reader stopped early (`qa ask … | head -1`): nothing more to say, no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush cannot fail again
        return 141  # what a shell reports for a program stopped by a closed pipe
    except QAError as error:
        print(f"qa: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a folder it may not read or write: the reason, not a traceback
        print(f"qa: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
