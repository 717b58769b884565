"""Learner parity: Cairn's decision tree vs scikit-learn on the same split candidates.

Example A's reference (shared/bench/ml-reference.md) emulates Spark's tree in
scikit-learn: Spark's split candidates, then an exact greedy gini tree over
them. This script removes every source of difference except the learner: it
reads what `examples/tree_parity_export.rs` wrote (one reference fold's
held-out rows, Cairn's candidates on the training rows, Cairn's predictions),
maps each feature to its bin against those candidates (value <= t goes left,
so bin = number of candidates below the value), fits scikit-learn's
DecisionTreeClassifier(criterion="gini", max_depth=D) on the bin indices --
which restricts its splits to the candidates -- and compares predictions and
weightedPrecision (precision 0 for a class never predicted).

scikit-learn breaks ties between equal-improvement splits by a random feature
order (random_state); several states are fitted to show how much ties alone
move the result; the output gives, per state, how many held-out rows
get a different prediction. Where the trees differ, `first_divergences` walks
Cairn's tree and scikit-learn's side by side on the training rows and
classifies each first difference: the same partition through another
feature, a split with exactly equal gini gain (rational arithmetic), a
better split on either side, or one side splitting where the other stops.
Not used by CI.

    cargo run --release -p cairn-ml --example tree_parity_export -- \
        --data "$PWD/../shared/datasets" --out /tmp/tree_parity
    python crates/cairn-ml/benches/tree_parity.py /tmp/tree_parity ../shared/datasets
"""

import glob
import json
import sys
from collections import Counter
from fractions import Fraction

import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.metrics import precision_score
from sklearn.tree import DecisionTreeClassifier

out, data = sys.argv[1], sys.argv[2]
X, y = load_svmlight_file(f"{data}/mnist_train.libsvm.gz", n_features=784)
X = X.toarray()
test = np.loadtxt(f"{out}/test_rows.txt", dtype=np.int64)
mask = np.zeros(len(y), bool)
mask[test] = True
train = np.flatnonzero(~mask)



def split_score(y, left, right):
    """sum_c l_c^2 / n_l + sum_c r_c^2 / n_r: the larger, the larger the gini gain."""
    s = Fraction(0)
    for part in (left, right):
        c = np.bincount(y[part], minlength=10).astype(object)
        s += Fraction(int((c * c).sum()), len(part))
    return s


def first_divergences(cairn_nodes, sk, cands, B, y, rows):
    kinds = Counter()
    stack = [(0, 0, rows)]
    while stack:
        ci, si, rows = stack.pop()
        node, sl = cairn_nodes[ci], sk.children_left[si]
        if ("Split" in node) != (sl >= 0):
            kinds["one splits, the other stops"] += 1
            continue
        if sl < 0:
            continue
        c = node["Split"]
        f, b = c["feature"], int(np.searchsorted(cands[c["feature"]], c["threshold"]))
        left = B[rows, f] <= b
        sk_left = B[rows, sk.feature[si]] <= sk.threshold[si]
        if not (left == sk_left).all():
            a = split_score(y, rows[left], rows[~left])
            o = split_score(y, rows[sk_left], rows[~sk_left])
            kinds["exact tie" if a == o else "cairn better" if a > o else "sklearn better"] += 1
            continue
        if (f, b) != (sk.feature[si], int(sk.threshold[si])):
            kinds["same partition, other feature"] += 1
        stack += [(c["left"], sl, rows[left]), (c["right"], sk.children_right[si], rows[~left])]
    return dict(kinds)


y = y.astype(np.int64)
for bins in (2, 32):
    with open(f"{out}/candidates_{bins}.txt") as fh:
        cands = [np.array([float(v) for v in line.split()]) for line in fh]
    B = np.empty(X.shape, np.int16)
    for j, t in enumerate(cands):
        B[:, j] = np.searchsorted(t, X[:, j], side="left")
    depths = sorted(int(f.rsplit("_", 1)[1][:-4]) for f in glob.glob(f"{out}/cairn_pred_{bins}_*.txt"))
    for depth in depths:
        cairn = np.loadtxt(f"{out}/cairn_pred_{bins}_{depth}.txt")
        wp_c = precision_score(y[test], cairn, average="weighted", zero_division=0)
        agree, wps, walks = [], [], []
        with open(f"{out}/cairn_tree_{bins}_{depth}.json") as fh:
            nodes = json.load(fh)["nodes"]
        for state in range(3):
            sk = DecisionTreeClassifier(criterion="gini", max_depth=depth, random_state=state)
            sk.fit(B[train], y[train])
            pred = sk.predict(B[test])
            agree.append(int((pred != cairn).sum()))
            if agree[-1]:
                walks.append(first_divergences(nodes, sk.tree_, cands, B, y, train))
            wps.append(precision_score(y[test], pred, average="weighted", zero_division=0))
        print(
            f"maxBins {bins:>2} maxDepth {depth}: cairn wP {wp_c:.4f}; sklearn wP "
            f"{' '.join(f'{w:.4f}' for w in wps)}; "
            f"{' '.join(map(str, agree))} of {len(test)} rows differ"
        )
        for w in walks:
            print(f"    first divergences: {w}")
