"""Answer scorer: a ranker and a logistic answerability model over candidate features, trained by
`python -m eval.train`, stored as JSON.

The ranker (LightGBM's gradient-boosted trees plus a logistic model) scores every candidate, from its features
and from how far each falls short of the question's best candidate on it (so a sentence is judged against its
rivals); the best one is the answer. The answerability model reads the best candidate (its ranker score, its
lead over the runner-up, its features) and gives the probability that it answers the question; below a
threshold chosen on the dev questions for few false refusals, the pipeline says the report does not say.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.candidates import ANSWER_ONLY, FEATURES, Candidate
from qa.errors import ModelError

SCORER_PATH = Path(__file__).parent / "data" / "scorer.json"
ANSWER_FEATURES = ("rank_score", "rank_lead", *FEATURES)
RANKED_FEATURES = tuple(n for n in FEATURES if n not in ANSWER_ONLY)  # what the ranker reads, and below best
_RANKED = np.array([FEATURES.index(n) for n in RANKED_FEATURES])
VETO = FEATURES.index("sibling_measure")
SHORTLIST = 5  # candidates the ranker's trees score, the logistic model's best


def standardized(x: np.ndarray, mean: np.ndarray, scale: np.ndarray, clip: float = 0.0) -> np.ndarray:
    """(x - mean) / scale, within ±clip deviations when clip is set."""
    z = (x - mean) / scale
    return np.clip(z, -clip, clip) if clip else z


@dataclass(frozen=True)
class Linear:
    """A logistic model on standardized features: z = intercept + coef · (x - mean) / scale, clipped to ±clip."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    clip: float = 0.0

    def z(self, x: np.ndarray) -> np.ndarray:
        return self.intercept + standardized(x, self.mean, self.scale, self.clip) @ self.coef

    def to_json(self) -> dict:
        return {"mean": _rounded(self.mean), "scale": _rounded(self.scale), "coef": _rounded(self.coef),
                "intercept": round(float(self.intercept), 8), **({"clip": self.clip} if self.clip else {})}

    @classmethod
    def from_json(cls, data: dict, width: int) -> Linear:
        parts = [np.asarray(data[k], dtype=float) for k in ("mean", "scale", "coef")]
        if any(p.shape != (width,) for p in parts) or not np.all(parts[1] > 0) or not all(map(np.all, map(np.isfinite, parts))):
            raise ValueError("weights of the wrong shape or not finite")
        return cls(*parts, float(data["intercept"]), float(data.get("clip", 0.0)))


@dataclass(frozen=True)
class Trees:
    """A LightGBM model, kept as its text (one string a line in the JSON file) with the text's sha256: LightGBM
    aborts the whole process on a damaged model text, so the text is checked before LightGBM reads it."""

    lines: tuple[str, ...]
    booster: object = field(repr=False, compare=False)

    @classmethod
    def from_text(cls, text: str) -> Trees:
        import lightgbm

        try:
            return cls(tuple(text.splitlines()), lightgbm.Booster(model_str=text))
        except lightgbm.basic.LightGBMError as exc:  # a text LightGBM can parse but not use
            raise ValueError(str(exc)) from exc

    def z(self, x: np.ndarray) -> np.ndarray:
        # log-odds; one question's candidates are too few to share among threads
        return np.asarray(self.booster.predict(x, raw_score=True, num_threads=1), dtype=float)

    def to_json(self) -> dict:
        return {"lightgbm": list(self.lines), "sha256": _digest(self.lines)}

    @classmethod
    def from_json(cls, data: dict, width: int) -> Trees:
        lines = data["lightgbm"]
        if not isinstance(lines, list) or _digest(lines) != data["sha256"]:
            raise ValueError("the ranker's trees do not match their checksum")
        trees = cls.from_text("\n".join(lines) + "\n")
        if trees.booster.num_feature() != width:
            raise ValueError(f"trees of {trees.booster.num_feature()} inputs, not {width}")
        return trees


def _digest(lines: list[str] | tuple[str, ...]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Ranker:
    """Gradient-boosted trees and a logistic model, each giving the log-odds that a candidate is right, added: the
    trees rank better, the linear model's smoother scores keep the answerability model's input telling. The trees
    score only the logistic model's SHORTLIST best candidates (the rest get -inf): their cost grows with the rows,
    about 7 µs a candidate, and a question has about 28 on average."""

    trees: Trees
    linear: Linear

    def z(self, x: np.ndarray) -> np.ndarray:
        linear = self.linear.z(x)
        if len(x) <= SHORTLIST:
            return linear + self.trees.z(x)
        kept = np.argsort(-linear, kind="stable")[:SHORTLIST]
        scores = np.full(len(x), -np.inf)
        scores[kept] = linear[kept] + self.trees.z(x[kept])
        return scores

    def to_json(self) -> dict:
        return {"trees": self.trees.to_json(), "linear": self.linear.to_json()}

    @classmethod
    def from_json(cls, data: dict, width: int) -> Ranker:
        return cls(Trees.from_json(data["trees"], width), Linear.from_json(data["linear"], width))


@dataclass(frozen=True)
class Scorer:
    ranker: Ranker
    answerable: Linear
    threshold: float  # answer only when the best candidate's probability reaches this
    meta: dict = field(default_factory=dict)

    def choose(self, features: np.ndarray) -> tuple[int, float]:
        """(row of the best candidate, probability that it answers); (-1, 0.0) for no candidates."""
        if not len(features):
            return -1, 0.0
        best, inputs = pick(self.ranker, features)
        z = float(self.answerable.z(inputs))
        return best, float(1 / (1 + np.exp(-np.clip(z, -30, 30))))

    def answers(self, features: np.ndarray, probability: float) -> bool:
        """Whether the chosen candidate (its feature row) stands: probable enough, and never a figure of a
        sibling measure the report names (货物出口 for 服务外包出口额), however close it reads."""
        return bool(probability >= self.threshold and features[VETO] < 1)

    def best(self, pool: list[Candidate]) -> tuple[Candidate | None, float]:
        row, probability = self.choose(matrix(pool))
        return (pool[row] if row >= 0 else None), probability

    def to_json(self) -> dict:
        return {"features": list(FEATURES), "ranked_features": list(RANKED_FEATURES),
                "answer_features": list(ANSWER_FEATURES), "threshold": self.threshold,
                "ranker": self.ranker.to_json(), "answerable": self.answerable.to_json(), **self.meta}


def pick(ranker: Ranker, features: np.ndarray) -> tuple[int, np.ndarray]:
    """The ranker's best row, and the answerability model's input for it: its score, its lead over the
    runner-up, its features. Ties go to the first row: the better-ranked hit."""
    scores = ranker.z(relative(features))
    order = np.argsort(-scores, kind="stable")
    best = int(order[0])
    lead = float(scores[best] - scores[order[1]]) if len(order) > 1 else 1.0
    return best, np.concatenate([[scores[best], lead], features[best]])


def relative(features: np.ndarray) -> np.ndarray:
    """The ranker's input: each candidate's ranked features, and their distance below the question's best."""
    ranked = features[:, _RANKED]
    return np.hstack([ranked, ranked - ranked.max(axis=0)])


def matrix(pool: list[Candidate]) -> np.ndarray:
    return np.array([c.features for c in pool], dtype=float).reshape(len(pool), len(FEATURES))


def _rounded(values: np.ndarray) -> list[float]:
    return [round(float(v), 8) for v in values]


def load_scorer(path: Path = SCORER_PATH) -> Scorer:
    """Read the scorer's weights; a missing, corrupt or outdated file says how to remake it."""
    remake = "run `python -m eval.train` to retrain it (a few minutes)"
    try:
        data = json.loads(Path(path).read_text("utf-8"))
        if tuple(data["features"]) != FEATURES or tuple(data.get("ranked_features", FEATURES)) != RANKED_FEATURES:
            raise ModelError(f"the answer scorer {path} was trained on other features than this version computes: {remake}")
        scorer = Scorer(Ranker.from_json(data["ranker"], 2 * len(RANKED_FEATURES)),
                        Linear.from_json(data["answerable"], len(ANSWER_FEATURES)), float(data["threshold"]),
                        {k: v for k, v in data.items()
                         if k not in ("features", "ranked_features", "answer_features", "threshold", "ranker",
                                     "answerable")})
    except ImportError as exc:  # retraining cannot help: the ranker's library is missing
        raise ModelError(f"the answer scorer needs {exc.name or 'lightgbm'}, which is not installed: run "
                         f"`bash scripts/setup.sh` to install the project's dependencies") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"the answer scorer {path} cannot be read ({type(exc).__name__}: {exc}): {remake}") from exc
    return scorer
