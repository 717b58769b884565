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
get a different prediction. Not used by CI.

    cargo run --release -p cairn-ml --example tree_parity_export -- \
        --data "$PWD/../shared/datasets" --out /tmp/tree_parity
    python crates/cairn-ml/benches/tree_parity.py /tmp/tree_parity ../shared/datasets
"""

import glob
import sys

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
        agree, wps = [], []
        for state in range(3):
            sk = DecisionTreeClassifier(criterion="gini", max_depth=depth, random_state=state)
            sk.fit(B[train], y[train])
            pred = sk.predict(B[test])
            agree.append(int((pred != cairn).sum()))
            wps.append(precision_score(y[test], pred, average="weighted", zero_division=0))
        print(
            f"maxBins {bins:>2} maxDepth {depth}: cairn wP {wp_c:.4f}; sklearn wP "
            f"{' '.join(f'{w:.4f}' for w in wps)}; agreement "
            f"{' '.join(map(str, agree))} of {len(test)} rows differ"
        )
