"""`python -m eval.train`: train the answer scorer on the dev and train questions of every report, save
qa/data/scorer.json.

Each dev and train question is prepared as `ask` prepares it (retrieval, period rules, candidates); a candidate is
labelled right when its extract holds an accepted answer and its paragraph the evidence. LightGBM's
gradient-boosted trees and a logistic regression each learn P(right | features) of a candidate; their log-odds,
added, rank the candidates. Another logistic regression learns whether the one put first answers; the refusal
threshold is where, on the dev questions (not the train ones: eval/sets.py) each scored by models trained without its
report, a question is as likely to be answered right as to be unanswerable (a logistic fit on the probability),
lowered if false refusals (their one-standard-error upper bound) would exceed FALSE_REFUSAL_BUDGET.
Deterministic: retraining from the repo gives the same weights and metrics on a machine that computes the same
features to the bit (the scorer records fingerprints of the model's vectors, `embeddings`, and of the training
questions' features, `feature_values`). Other processors round otherwise: the int8 model's kernels embed passages
a little differently, the sums behind a cosine differ in their last digits, and a scorer retrained there differs a
little.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from eval.metrics import grounded
from eval.sets import TRAINING, QuestionSet, index_for, load_sets
from qa.candidates import FEATURES
from qa.scorer import (
    ANSWER_FEATURES,
    RANKED_FEATURES,
    SCORER_PATH,
    SHORTLIST,
    Linear,
    Ranker,
    Scorer,
    Trees,
    pick,
    relative,
    standardized,
)

FALSE_REFUSAL_BUDGET = 0.05
C = 1.0  # inverse regularization strength of the logistic regressions
# The ranker's trees: small and many, each fit on a sample of rows and features (set once, not swept).
# Deterministic on one thread: retraining gives the same model text. The samples' seed is `_ranker`'s (0 committed).
TREES = {"objective": "binary", "n_estimators": 200, "learning_rate": 0.05, "num_leaves": 15, "min_child_samples": 20,
         "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8, "reg_lambda": 1.0,
         "n_jobs": 1, "deterministic": True, "force_col_wise": True, "verbose": -1}
# The answerability model sees one row a question (a few hundred): a feature seldom far from its mean there (a rare
# flag, a ratio nearly always 1) would stand many deviations away when it moves; clipped, one such value cannot
# outweigh the rest of the evidence. The ranker learns from every candidate and is not clipped.
CLIP = 3.0


@dataclass
class Prepared:
    """One question, prepared once: the candidates' features and labels, or the answer a rule gave."""

    item: dict
    report: str
    early: object  # qa.answer.Answer or None
    features: np.ndarray  # candidates × features
    labels: np.ndarray  # 1 where the candidate's extract answers and its paragraph holds the evidence
    texts: list[tuple[str, str]]  # (extract, paragraph) per candidate


def prepare_set(question_set: QuestionSet, index, items: list[dict] | None = None) -> list[Prepared]:
    from qa.pipeline import prepare

    rows = []
    for item in items if items is not None else question_set.items:
        p = prepare(index, item["question"], tuple(item["history"]))
        texts = [(c.text, c.hit.paragraph.text) for c in p.pool]
        labels = np.array([float(grounded(True, t, para, item["answers"], item["evidence"])) for t, para in texts])
        features = np.array([c.features for c in p.pool], dtype=float).reshape(len(p.pool), len(FEATURES))
        rows.append(Prepared(item, question_set.report, p.early, features, labels, texts))
    return rows


def decide(row: Prepared, scorer: Scorer, chosen: tuple[int, float] | None = None) -> tuple[bool, str, str, float]:
    """(found, answer text, cited paragraph, probability) as `ask` gives them with this scorer; `chosen`: the
    scorer's (best candidate, probability) for the row, if already picked."""
    if row.early is not None:
        cited = row.early.citations[0].text if row.early.citations else ""
        return bool(row.early.found), row.early.text, cited, float(row.early.found)
    best, probability = chosen if chosen is not None else scorer.choose(row.features)
    if best < 0:
        return False, "", "", 0.0
    text, paragraph = row.texts[best]
    return scorer.answers(row.features[best], probability), text, paragraph, probability


def score(rows: list[Prepared], scorer: Scorer) -> dict:
    """Grounded accuracy, abstention and false refusals of these questions under a scorer."""
    return score_pairs([(row, scorer) for row in rows])


def score_pairs(scored: list[tuple[Prepared, Scorer]], chosen: list[tuple[int, float]] | None = None) -> dict:
    """`score`, each question decided by its own scorer (and its candidate `chosen` already, if given)."""
    decided = list(zip(scored, chosen or [None] * len(scored)))
    answerable = [(r, s, c) for (r, s), c in decided if r.item["answers"]]
    unanswerable = [(r, s, c) for (r, s), c in decided if not r.item["answers"]]
    right = refused = abstained = 0
    for row, scorer, picked in answerable:
        found, text, paragraph, _ = decide(row, scorer, picked)
        refused += not found
        right += grounded(found, text, paragraph, row.item["answers"], row.item["evidence"])
    for row, scorer, picked in unanswerable:
        abstained += not decide(row, scorer, picked)[0]
    return {"n": len(scored), "grounded_accuracy": right / max(len(answerable), 1),
            "abstention": abstained / max(len(unanswerable), 1), "false_refusal": refused / max(len(answerable), 1)}


def _logistic(X: np.ndarray, y: np.ndarray, C: float, balanced: bool = False, clip: float = 0.0) -> Linear:
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced" if balanced else None)
    # one BLAS thread: for these small fits, threads' hand-offs cost more than they give (python -m eval.train
    # 55 s against 68 s on two idle cores; several times slower when other work shares them)
    with threadpool_limits(limits=1, user_api="blas"):
        model.fit(standardized(X, mean, scale, clip), y)
    return Linear(mean, scale, model.coef_[0].copy(), float(model.intercept_[0]), clip)


def _ranker(rows: list[Prepared], seed: int = 0) -> Ranker:
    """Whether each candidate is right, as log-odds (so the best one's score also tells the answerability model how
    right it looks): trees (bagged with this seed) and a logistic regression (balanced classes), added."""
    from lightgbm import LGBMClassifier

    X, y = np.vstack([relative(r.features) for r in rows]), np.concatenate([r.labels for r in rows])
    trees = LGBMClassifier(**dict(TREES, random_state=seed)).fit(X, y)
    return Ranker(Trees.from_text(trees.booster_.model_to_string()), _logistic(X, y, C, balanced=True))


def fit(rows: list[Prepared], meta: dict | None = None) -> Scorer:
    """The ranker on every candidate (right or not), then the answerability model on each question's best
    candidate (does it answer?), then the refusal threshold.

    Trees fit the questions they learned from far more closely than a new question: the answerability model learns
    from each report's questions as ranked by trees trained without that report, as a new report's are ranked. The
    threshold is chosen on the dev questions, each decided by models trained without its report, so the
    false-refusal budget holds beyond the questions fitted."""
    return fit_held_out(rows, meta)[0]


def fit_held_out(rows: list[Prepared], meta: dict | None = None, seed: int = 0) -> tuple[Scorer, dict[str, Scorer]]:
    """`fit`'s scorer, and by report the models it fitted without that report, at a threshold chosen on the other
    reports' questions: each report's questions decided by them are the leave-one-report-out view (`python -m eval`).
    `seed` bags the trees (0: the committed scorer's); `python -m eval.quick --seeds` compares several.

    Not quite a scorer trained from scratch without the report (its models were, its questions chose no threshold;
    but the report's questions shaped the rankers that picked the others' training rows): that would fit a whole
    scorer, itself one model a report, for each report left out, 24 times the work for a view that differed by
    0.002 (eval/RESULTS.md)."""
    pooled = [r for r in rows if len(r.features) and r.early is None]
    reports = sorted({r.report for r in rows})
    ranker = _ranker(pooled, seed)
    # with one report there is none to hold out: its questions are ranked by the ranker trained on them
    rankers = ({report: _ranker([r for r in pooled if r.report != report], seed) for report in reports}
               if len(reports) > 1 else {})
    picks = {id(r): pick(rankers.get(r.report, ranker), r.features) for r in pooled}
    scorer = Scorer(ranker, _answerable(pooled, picks), 0.5, meta or {})
    calibrating = [row for row in rows if row.item["split"] == "dev"] or rows
    if not rankers:
        return _with_threshold(scorer, [(row, scorer) for row in calibrating]), {}
    without = {report: Scorer(rankers[report], _answerable([r for r in pooled if r.report != report], picks), 0.5, {})
               for report in reports}
    # the threshold is the dev questions' to choose: the train ones were written to be hard (eval/sets.py)
    scored = [(row, without[row.report]) for row in calibrating]
    chosen = [s.choose(row.features) for row, s in scored]
    scorer = _with_threshold(scorer, scored, chosen)
    held_out = {}
    for report, s in without.items():
        others = [i for i, (row, _) in enumerate(scored) if row.report != report]
        held_out[report] = _with_threshold(s, [scored[i] for i in others], [chosen[i] for i in others])
    return scorer, held_out


def _answerable(rows: list[Prepared], picks: dict[int, tuple[int, np.ndarray]]) -> Linear:
    """Whether each question's best candidate (`picks`: its row and the model's input, by question) answers it."""
    X = np.array([picks[id(row)][1] for row in rows])
    y = np.array([row.labels[picks[id(row)][0]] for row in rows])
    return _logistic(X, y, C, clip=CLIP)


def _with_threshold(scorer: Scorer, scored: list[tuple[Prepared, Scorer]],
                    chosen: list[tuple[int, float]] | None = None) -> Scorer:
    """The probability at which a dev question is as likely to be one its best candidate answers right as one to
    refuse (unanswerable), each row decided by the scorer paired with it (whose pick of each row's best candidate is
    `chosen`, if given): the boundary of a logistic regression on the probability's log-odds between the two. The
    questions no threshold decides right (a wrong candidate, a rule's answer, a veto) do not count. Then lowered, if
    need be, until false refusals (their one-standard-error upper bound: the threshold is chosen on the same questions)
    are within FALSE_REFUSAL_BUDGET.

    The threshold that decides the most dev questions right, counted, is the same aim; but that count is flat from
    about 0.15 to 0.40, so its highest point moved with any small change (0.16 and 0.35 for two glossaries three lines
    apart; 0.14 to 0.39 by tree seed), where the boundary moved within 0.23-0.25 (eval/RESULTS.md, thirtieth stop)."""
    chosen = chosen if chosen is not None else [s.choose(row.features) for row, s in scored]  # no threshold changes it
    odds, right = [], []
    for (row, s), picked in zip(scored, chosen):
        found, text, paragraph, probability = decide(row, replace(s, threshold=0.0), picked)
        if row.early is not None or not found:
            continue
        answered_right = grounded(found, text, paragraph, row.item["answers"], row.item["evidence"])
        if answered_right or not row.item["answers"]:
            odds.append(probability)
            right.append(int(answered_right))
    threshold = _boundary(np.array(odds), np.array(right))
    answerable = max(sum(1 for row, _ in scored if row.item["answers"]), 1)
    while threshold > 0.01:
        rate = score_pairs([(row, replace(s, threshold=threshold)) for row, s in scored], chosen)["false_refusal"]
        if rate + math.sqrt(rate * (1 - rate) / answerable) <= FALSE_REFUSAL_BUDGET:
            break
        threshold = round(threshold - 0.01, 3)
    return replace(scorer, threshold=max(threshold, 0.01))


def _boundary(probability: np.ndarray, right: np.ndarray) -> float:
    """Where P(right | log-odds of `probability`) = 1/2 by a one-input logistic regression (3 decimals); with one
    class only, the lowest threshold (none to refuse) or the highest (none answered right)."""
    if right.min(initial=1) == right.max(initial=0):
        return 0.01 if len(right) and right[0] == 1 else 0.99
    p = np.clip(probability, 1e-6, 1 - 1e-6)
    fit = _logistic(np.log(p / (1 - p)).reshape(-1, 1), right, C)
    if fit.coef[0] <= 0:  # more probable, less often right: the probability tells nothing here
        return 0.5
    at = fit.mean[0] - fit.intercept * fit.scale[0] / fit.coef[0]  # the log-odds where the fit's z is 0
    return float(np.clip(round(1 / (1 + math.exp(-at)), 3), 0.01, 0.99))


def training_hash(sets: list[QuestionSet]) -> str:
    """sha256 of what the scorer is trained on: the dev questions and their reports' bytes."""
    from eval.sets import report_path

    digest = hashlib.sha256()
    for question_set in sorted(sets, key=lambda s: s.name):
        digest.update(hashlib.sha256(report_path(question_set.report).read_bytes()).digest())
        for item in question_set.split(*TRAINING):
            digest.update(json.dumps([item["id"], item["question"], item["answers"], item["evidence"], item["history"]],
                                     ensure_ascii=False).encode())
    return digest.hexdigest()


def prepare_all(sets: list[QuestionSet], progress=print) -> dict[str, list[Prepared]]:
    """Every question of every set, prepared on its report's own index."""
    out = {}
    for question_set in sets:
        index = index_for([question_set.report], progress=progress)
        out[question_set.name] = prepare_set(question_set, index)
    return out


def training_rows(prepared: dict[str, list[Prepared]]) -> list[Prepared]:
    """The questions the scorer learns from: dev and train."""
    return [r for rows in prepared.values() for r in rows if r.item["split"] in TRAINING]


# texts whose vectors fingerprint this machine's embedding arithmetic: questions, and the bundled report's first chunks
# (the 7-bit export embeds questions alike on AVX2 and AVX-512 VNNI, but not the report's passages, short ones too)
PROBES = ("2020年杭州GDP是多少？", "What was the total of online retail sales last year?")
PASSAGE_PROBES = 8


def embedding_fingerprint() -> str:
    """sha256 of the model's vectors of PROBES and of the bundled report's first PASSAGE_PROBES chunks, to the bit.
    The int8 model's kernels differ by processor (AVX2, AVX-512 VNNI): another machine's passage vectors differ a
    little (a component by up to 0.014), a few questions retrieve other chunks, and a scorer trained there differs
    a little."""
    from eval.sets import BUNDLED_REPORT
    from qa.pipeline import embedder_for

    index = index_for([BUNDLED_REPORT])
    embedder = embedder_for(index)
    vectors = [embedder.embed_queries(list(PROBES)),
               embedder.embed_passages([chunk.text for chunk in index.chunks[:PASSAGE_PROBES]])]
    digest = hashlib.sha256()
    for block in vectors:
        digest.update(np.ascontiguousarray(block, dtype=np.float32).tobytes())
    return digest.hexdigest()[:16]


def features_fingerprint(rows: list[Prepared]) -> str:
    """sha256 of the training rows' features and labels, to the bit. Two machines whose query vectors match (an
    Intel and an AMD processor, both with AVX-512) still gave cosines differing in the last float32 digit: LightGBM
    then moved a few split points by 1e-7, and a question's probability crossed the threshold."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(np.ascontiguousarray(row.features, dtype=np.float64).tobytes())
        digest.update(np.ascontiguousarray(row.labels, dtype=np.float64).tobytes())
    return digest.hexdigest()[:16]


def train(sets: list[QuestionSet], prepared: dict[str, list[Prepared]]) -> Scorer:
    rows = training_rows(prepared)
    dev = [r for r in rows if r.item["split"] == "dev"]
    meta = {"trained_on": {"sets": sorted(s.name for s in sets), "dev_questions": len(dev),
                           "train_questions": len(rows) - len(dev),
                           "candidates": int(sum(len(r.features) for r in rows)), "sha256": training_hash(sets)},
            "embeddings": embedding_fingerprint(), "feature_values": features_fingerprint(rows),
            "model": f"a ranker over candidates, the log-odds of a LightGBM LGBMClassifier ({TREES['n_estimators']} "
                     f"trees of {TREES['num_leaves']} leaves, scoring the logistic model's {SHORTLIST} best) plus a "
                     f"sklearn LogisticRegression(C={C}, balanced classes); then a sklearn LogisticRegression(C={C}) "
                     f"for the answerability of the best (inputs clipped to {CLIP} deviations); threshold where a dev "
                     f"question is as likely answered right as unanswerable (a logistic fit on its probability), with "
                     f"false refusals plus one standard error <= {FALSE_REFUSAL_BUDGET}, each question scored by models "
                     f"trained without its report"}
    scorer = fit(rows, meta)
    return replace(scorer, meta=dict(scorer.meta, dev_metrics={k: round(v, 4) for k, v in score(dev, scorer).items()}))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.train", description=__doc__)
    parser.add_argument("--out", type=Path, default=SCORER_PATH, help="where to write the scorer")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    sets = load_sets()
    prepared = prepare_all(sets)
    scorer = train(sets, prepared)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(scorer.to_json(), ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"trained on {scorer.meta['trained_on']['dev_questions']} dev and "
          f"{scorer.meta['trained_on']['train_questions']} train questions "
          f"({scorer.meta['trained_on']['candidates']} candidates) in {time.perf_counter() - began:.0f} s; "
          f"threshold {scorer.threshold}; dev {scorer.meta['dev_metrics']}")
    ranked = (*RANKED_FEATURES, *(f"{n}_below_best" for n in RANKED_FEATURES))
    gains = scorer.ranker.trees.booster.feature_importance("gain")
    print("ranker, share of gain: " + ", ".join(f"{n} {g / gains.sum():.2f}" for n, g in sorted(zip(ranked, gains), key=lambda x: -x[1])[:20]))
    print("answerable: " + ", ".join(f"{n} {c:+.2f}" for n, c in sorted(zip(ANSWER_FEATURES, scorer.answerable.coef), key=lambda x: -abs(x[1]))))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
