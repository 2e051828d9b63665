"""Question sets for many reports, their splits, and one index per report (built once, cached).

`eval/qa.jsonl` is the bundled Hangzhou report's dev set (the rules were tuned on it); every file in
`eval/sets/` names its report (a path under ../shared/data) and puts each question in a split:
- dev: trains the scorer and chooses its refusal threshold;
- test: only ever scored;
- train (the `…d.jsonl` and `…e.jsonl` files): trains the scorer, never scored, never chooses the threshold. Written
  to stress the hard cases (near-miss unanswerables, paraphrases; one year's level or change beside the five years'),
  their mix is not a user's, so where to refuse is not theirs to say.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from eval.runner import EvalError, load_questions
from qa.settings import PROJECT_ROOT, Settings

SETS_DIR = PROJECT_ROOT / "eval" / "sets"
SPLITS = ("dev", "test", "train")
SCORED = ("dev", "test")  # the splits the eval reports; train questions only train
TRAINING = ("dev", "train")  # the splits the scorer learns from
BUNDLED_DEV = PROJECT_ROOT / "eval" / "qa.jsonl"
BUNDLED_REPORT = "hangzhou-2021-government-work-report.txt"
# Code whose change changes what an index holds: a cached index built by other code is rebuilt.
# (data/places.tsv: a report's level comes from it; corpus.py: document ids; figures.py: the measures embedded)
INDEX_CODE = ("source.py", "formats.py", "data/places.tsv", "periods.py", "chunking.py", "index.py", "tokens.py",
              "embedding.py", "corpus.py", "figures.py", "embedcache.py")


def shared_data() -> Path:
    return Path(os.environ.get("QA_SHARED_DATA") or PROJECT_ROOT.parent / "shared" / "data")


@dataclass(frozen=True)
class QuestionSet:
    name: str  # e.g. "jiangsu-2026"
    report: str  # path under shared/data
    items: tuple[dict, ...]  # load_questions rows, each with "split"

    def split(self, *names: str) -> list[dict]:
        return [i for i in self.items if i["split"] in names]


def load_sets(directory: Path = SETS_DIR, bundled_dev: Path | None = BUNDLED_DEV) -> list[QuestionSet]:
    """Every report's questions; the bundled report's dev set (qa.jsonl) joins its test set (sets/hangzhou-…)."""
    by_report: dict[str, list[dict]] = {}
    names: dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.jsonl")):
        for item in load_questions(path):
            report = item.get("report")
            if not isinstance(report, str) or item.get("split") not in SPLITS:
                raise EvalError(f"{path}: question {item['id']} needs a `report` path and a `split` of "
                                "dev, test or train")
            by_report.setdefault(report, []).append(item)
            names.setdefault(report, path.stem)
    if bundled_dev is not None and Path(bundled_dev).is_file():
        dev = [dict(i, split="dev", report=BUNDLED_REPORT) for i in load_questions(bundled_dev)]
        by_report[BUNDLED_REPORT] = dev + by_report.get(BUNDLED_REPORT, [])
        names.setdefault(BUNDLED_REPORT, "hangzhou-2021")
    return [QuestionSet(names[r], r, tuple(items)) for r, items in by_report.items()]


def report_path(report: str) -> Path:
    """The bundled report is the project's own; every other report stays in ../shared/data."""
    if report == BUNDLED_REPORT:
        return PROJECT_ROOT / "data" / BUNDLED_REPORT
    path = shared_data() / report
    if not path.is_file():
        raise EvalError(f"the report {report} is not in {shared_data()}: put ../shared beside the clone, "
                        "or set QA_SHARED_DATA to its data folder")
    return path


def index_for(reports: list[str], settings: Settings | None = None, progress=print):
    """An index of these reports: the committed one for the bundled report, else built once into the cache."""
    from qa.pipeline import load_index

    settings = settings or Settings.from_env()
    if reports == [BUNDLED_REPORT]:
        return load_index(settings=settings)
    return corpus_index([report_path(r) for r in reports], settings, progress)


def corpus_index(paths: list[str | Path], settings: Settings | None = None, progress=print):
    """One index of several reports, made once into the cache and loaded from there on later calls.

    Keyed by the reports' names and bytes, the model id and the code that decides what an index holds, like
    the eval's per-report indexes. A name without a folder is found like index_for's reports (the bundled
    report, else ../shared/data). Each report is built alone (the same cached index the eval uses for it),
    and the corpus merges them: a report's vectors are the same in every corpus, and each report is embedded
    once on a machine whatever sets it appears in. Example, the scoping tests' corpus:

        corpus_index([BUNDLED_REPORT, "national-2024-government-work-report.txt",
                      "provincial-2026/2026_北京市_政府工作报告.csv", …])
    """
    from qa import index as index_files
    from qa.corpus import merge
    from qa.errors import QAError
    from qa.onnx_model import model_id_for
    from qa.pipeline import build_index, load_index

    settings = settings or Settings.from_env()
    paths = [p if isinstance(p, Path) else report_path(p) for p in paths]
    digest = hashlib.sha256(model_id_for(settings).encode())
    for path in paths:
        digest.update(path.name.encode() + hashlib.sha256(path.read_bytes()).digest())
    for name in INDEX_CODE:
        digest.update((PROJECT_ROOT / "qa" / name).read_bytes())
    directory = settings.cache_dir / "eval-indexes" / digest.hexdigest()[:16]
    try:
        return load_index(directory, settings=settings)
    except QAError:
        pass
    if len(paths) == 1:
        progress(f"building the index of {paths[0].name} into {directory}")
        built = build_index(paths, settings)
    else:
        built = merge([corpus_index([path], settings, progress) for path in paths])
    index_files.save(built, directory)
    return load_index(directory, settings=settings)
