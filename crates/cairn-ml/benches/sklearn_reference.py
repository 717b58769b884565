"""Same-session scikit-learn timings for the cairn-ml speed targets.

Run next to `cargo bench -p cairn-ml --bench ml_bench` so both see the same
machine load:

    python3 crates/cairn-ml/benches/sklearn_reference.py [--data DIR] [--repeats 3] [dt|rf|all]

Needs numpy and scikit-learn (1.9.1 was used). Prints the median wall time and
the process CPU time per case.
"""
import gzip, sys, time, statistics, resource
import numpy as np

def arg(name, default):
    a = sys.argv
    return a[a.index(name) + 1] if name in a else default

DATA = arg("--data", "../shared/datasets")
REPEATS = int(arg("--repeats", "3"))
WHICH = next((a for a in sys.argv[1:] if a in ("dt", "rf", "all")), "all")

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime

def timed(name, f):
    walls, cpus = [], []
    for _ in range(REPEATS):
        t, c = time.perf_counter(), cpu()
        f()
        walls.append(time.perf_counter() - t)
        cpus.append(cpu() - c)
    print(f"{name}: median {statistics.median(walls):.3f}s  [{', '.join(f'{w:.3f}' for w in walls)}]"
          f"  cpu [{', '.join(f'{c:.3f}' for c in cpus)}]", flush=True)

if WHICH in ("dt", "all"):
    from sklearn.datasets import load_svmlight_file
    from sklearn.tree import DecisionTreeClassifier
    X, y = load_svmlight_file(f"{DATA}/mnist_train.libsvm.gz", n_features=784)
    X = X.toarray().astype(np.float32)
    timed("sklearn dt_mnist_fit max_depth=10 (exact splits)",
          lambda: DecisionTreeClassifier(max_depth=10, random_state=0).fit(X, y))

if WHICH in ("rf", "all"):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.preprocessing import StandardScaler
    d = np.loadtxt(f"{DATA}/california_housing.csv", delimiter=",", skiprows=1)
    X, t = d[:, :8], d[:, 8]
    X = StandardScaler().fit_transform(X)
    y = (t > t.mean()).astype(int)
    for depth in (5, 10):
        timed(f"sklearn rf_california_fit 100 trees max_depth={depth} n_jobs=2",
              lambda: RandomForestClassifier(n_estimators=100, max_depth=depth, n_jobs=2, random_state=0).fit(X, y))
