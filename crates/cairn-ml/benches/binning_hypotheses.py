"""Which row sample did example A's reference draw its split candidates from?

shared/bench/ml-reference.md says the training rows are Bernoulli-sampled to
max(maxBins^2, 10000) before Spark's candidate procedure runs, but not with
which generator or seed. This script emulates the reference end to end in
scikit-learn (its folds: KFold(3, shuffle=True, random_state=42); the
candidate procedure of tests/fixtures/make_split_candidate_fixtures.py; a gini
tree on the candidate bins, value <= threshold going left; weightedPrecision
with precision 0 for a class never predicted) once per hypothesis about the
sample, and prints the CV cells next to the reference's. It settles the
question by agreement over many cells at once, never by tuning one cell:
depth-2 cells first (cheap, and the (2, 2) cell takes one of two values
depending on the sample), then `--deep` for depths 4 and 6 of the named
hypotheses, and `--refit` for the test column (the refit's seed).

Session 4's result (docs/benchmarks/ml.md): of 4 draws x 6 seed schemes only
`default_rng(42 + k).random(n) < fraction` on fold k matches all four depth-2
cells; it then matches the eight depth-4/6 cells (within 0.0001) and, with
`default_rng(42)` for the refit, the eight depth-2/4 test cells exactly.
Not used by CI.

    python crates/cairn-ml/benches/binning_hypotheses.py ../shared/datasets [--deep] [--refit]
"""

import os
import sys
import time

import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.metrics import precision_score
from sklearn.model_selection import KFold
from sklearn.tree import DecisionTreeClassifier

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures"))
from make_split_candidate_fixtures import candidates  # noqa: E402

CV_REF = {(2, 2): .1462, (2, 4): .1649, (2, 16): .1660, (2, 32): .1595,
          (4, 2): .6024, (4, 4): .6345, (4, 16): .6071, (4, 32): .6046,
          (6, 2): .7335, (6, 4): .7351, (6, 16): .7357, (6, 32): .7423}
TEST_REF = {(2, 2): .1517, (2, 4): .1672, (2, 16): .1672, (2, 32): .1625,
            (4, 2): .5852, (4, 4): .6491, (4, 16): .6518, (4, 32): .6131}
BINS = (2, 4, 16, 32)

data = sys.argv[1]
X, y = load_svmlight_file(f"{data}/mnist_train.libsvm.gz", n_features=784)
X, y = X.toarray(), y.astype(int)
folds = list(KFold(3, shuffle=True, random_state=42).split(X))


def binned(A, cands):
    B = np.zeros(A.shape, np.uint16)
    for j, t in enumerate(cands):
        if len(t):
            B[:, j] = np.searchsorted(t, A[:, j], side="left")
    return B


def wp(truth, pred):
    return precision_score(truth, pred, average="weighted", zero_division=0)


def draw(kind, seed):
    """A mask-drawing function for one generator kind and seed."""
    def f(n, fraction):
        if kind == "RandomState.rand":
            return np.random.RandomState(seed).rand(n) < fraction
        if kind == "RandomState.binomial":
            return np.random.RandomState(seed).binomial(1, fraction, n).astype(bool)
        if kind == "default_rng.random":
            return np.random.default_rng(seed).random(n) < fraction
        if kind == "default_rng.binomial":
            return np.random.default_rng(seed).binomial(1, fraction, n).astype(bool)
        raise ValueError(kind)
    return f


def streamed(kind, seed):
    """One generator for the whole grid, consumed by each binning in turn
    (maxBins by maxBins, fold by fold)."""
    g = np.random.RandomState(seed) if kind.startswith("RandomState") else np.random.default_rng(seed)

    def f(n, fraction):
        if kind.endswith("binomial"):
            return g.binomial(1, fraction, n).astype(bool)
        return (g.rand(n) if kind.startswith("RandomState") else g.random(n)) < fraction
    return f


def fold_draws(kind, scheme):
    if scheme == "stream 42":
        s = streamed(kind, 42)
        return [s] * 3
    if scheme.startswith("42 + k"):
        return [draw(kind, 42 + k) for k in range(3)]
    if scheme.startswith("k"):
        return [draw(kind, k) for k in range(3)]
    return [draw(kind, int(scheme))] * 3


def cv_cells(draws, depths):
    out = {}
    for bins in BINS:
        parts = []
        for k, (tr, te) in enumerate(folds):
            c = candidates(X[tr], bins, None, draws[k])
            parts.append((binned(X[tr], c), binned(X[te], c)))
        for d in depths:
            scores = []
            for k, (tr, te) in enumerate(folds):
                clf = DecisionTreeClassifier(max_depth=d, random_state=0).fit(parts[k][0], y[tr])
                scores.append(wp(y[te], clf.predict(parts[k][1])))
            out[(d, bins)] = float(np.mean(scores))
    return out


def show(label, cells, ref):
    err = max(abs(cells[c] - ref[c]) for c in cells)
    row = " ".join(f"{c}:{cells[c]:.4f}" for c in sorted(cells))
    print(f"{label:<36} {row}  max |diff| {err:.4f}", flush=True)


KINDS = ["RandomState.rand", "RandomState.binomial", "default_rng.random", "default_rng.binomial"]
SCHEMES = ["42", "0", "1", "42 + k", "k", "stream 42"]
print("reference                           ", " ".join(f"{c}:{CV_REF[c]:.4f}" for c in sorted(CV_REF) if c[0] == 2))
for kind in KINDS:
    for scheme in SCHEMES:
        t = time.time()
        show(f"{kind} seed {scheme}", cv_cells(fold_draws(kind, scheme), (2,)), CV_REF)

if "--deep" in sys.argv:
    for kind, scheme in [("default_rng.random", "42 + k"), ("default_rng.random", "1")]:
        show(f"{kind} seed {scheme}", cv_cells(fold_draws(kind, scheme), (4, 6)), CV_REF)

if "--refit" in sys.argv:
    Xt, yt = load_svmlight_file(f"{data}/mnist_test.libsvm.gz", n_features=784)
    Xt, yt = Xt.toarray(), yt.astype(int)
    for seed in (42, 45, 0, 1, 43):
        cells = {}
        for bins in BINS:
            c = candidates(X, bins, None, draw("default_rng.random", seed))
            B, Bt = binned(X, c), binned(Xt, c)
            for d in (2, 4):
                clf = DecisionTreeClassifier(max_depth=d, random_state=0).fit(B, y)
                cells[(d, bins)] = wp(yt, clf.predict(Bt))
        show(f"refit default_rng({seed})", cells, TEST_REF)
