"""Printing: the metrics table (pipeline vs baselines), the by-kind table, and the failures."""

from __future__ import annotations

from eval.runner import METRICS as ROWS

FAILURE_ORDER = ["wrong_period", "wrong_paragraph", "wrong_clause", "false_refusal", "unanswerable_answered"]


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.{digits}f}"


def metrics_table(results: dict) -> str:
    names = list(results)
    lines = [f"{'metric':<20}" + "".join(f"{n:>11}" for n in names)]
    for row in ROWS:
        lines.append(f"{row:<20}" + "".join(f"{_fmt(results[n]['metrics'][row]):>11}" for n in names))
    return "\n".join(lines)


def kind_table(results: dict) -> str:
    """Per kind: the pipeline's grounded accuracy and recall@1/@5, each baseline's grounded accuracy.
    For unanswerable questions the accuracy column is the abstention rate."""
    main, *baselines = list(results)
    kinds = list(results[main]["by_kind"])
    head = f"{'kind':<14}{'n':>4}  {main + ' acc':>13}{'r@1':>7}{'r@5':>7}" + "".join(f"{b + ' acc':>14}" for b in baselines)
    lines = [head]
    for kind in kinds:
        def acc(name, kind=kind):
            s = results[name]["by_kind"].get(kind, {})
            return s.get("grounded_accuracy") if s.get("n_answerable") else s.get("abstention")
        s = results[main]["by_kind"][kind]
        lines.append(f"{kind:<14}{s['n']:>4}  {_fmt(acc(main)):>13}{_fmt(s['recall@1']):>7}{_fmt(s['recall@5']):>7}"
                     + "".join(f"{_fmt(acc(b)):>14}" for b in baselines))
    lines.append("(for unanswerable, acc = abstention)")
    return "\n".join(lines)


def _short(text: str, limit: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failure_lines(records: list[dict]) -> list[str]:
    failed = [r for r in records if r["failure"]]
    failed.sort(key=lambda r: (FAILURE_ORDER.index(r["failure"]) if r["failure"] in FAILURE_ORDER else 99, r["kind"]))
    lines = []
    for r in failed:
        asked = (f"[after: {_short(r['history'][-1], 30)}] " if r["history"] else "") + r["question"]
        cited = r["cited_id"].rsplit("#", 1)[-1] if r["cited_id"] else "-"
        got = [f"→ {_short(r['answer'])}", f"cite {cited} {r['cited_period']}".rstrip()]
        if r["answerable"]:
            got.append(f"gold rank {r['rank'] or '>10'}")
        lines.append(f"  {r['failure']:<21} {r['id']} ({r['kind']}) Q: {_short(asked, 60)}\n  {'':<21} " + " | ".join(got))
    return lines


def split_table(per_set: dict, loro: dict, pooled: dict, pooled_loro: dict) -> str:
    """Per report: grounded / abstention / false refusals on dev, on test, and left out; baselines' test grounded."""
    baselines = [b for b in next(iter(per_set.values())) if b != "pipeline"]
    head = (f"{'report':<16}{'dev g/abs/fr':>18}{'test g/abs/fr':>18}{'left-out g/abs/fr':>20}"
            + "".join(f"{b + ' test g':>16}" for b in baselines))
    lines = [head]

    def triple(metrics: dict | None) -> str:
        if not metrics:
            return "-"
        return "/".join(_fmt(metrics.get(k), 2) for k in ("grounded_accuracy", "abstention", "false_refusal"))

    for name, results in per_set.items():
        dev, test = results["pipeline"].get("dev"), results["pipeline"].get("test")
        lines.append(f"{name:<16}{triple(dev and dev['metrics']):>18}{triple(test and test['metrics']):>18}"
                     f"{triple(loro.get(name)):>20}"
                     + "".join(f"{_fmt((results[b].get('test') or {}).get('metrics', {}).get('grounded_accuracy'), 2):>16}"
                               for b in baselines))
    lines.append(f"{'all':<16}{triple(pooled['dev']['metrics']):>18}{triple(pooled['test']['metrics']):>18}"
                 f"{triple(pooled_loro):>20}")
    lines.append("(g = grounded accuracy, abs = abstention on unanswerable, fr = false refusals; left-out: models "
                 "trained without that report, at a threshold its questions did not choose, scored on all its questions)")
    return "\n".join(lines)
