#!/usr/bin/python3
"""scripts/export-sklearn-tables.py — writes small real tables that ship with scikit-learn as CSV
files with a header, for trying `eigenflow train` on real data and for the table benchmarks
(benchmarks/tables.sh). Never run at build or test time.

    sudo apt-get install python3-sklearn      # Debian's package; Debian's own python3
    /usr/bin/python3 scripts/export-sklearn-tables.py [OUT_DIR]      # default: build/tables

Tables (rows x columns): diabetes 442 x 11 (ten measurements and the disease progression),
iris 150 x 5 (four measurements and the species id 0..2, the last column: --label-col -1),
wine 178 x 14 (thirteen measurements and the cultivar id 0..2, last), breast_cancer 569 x 30
(measurements only), digits 1797 x 64 (8x8 images, each pixel 0..16 plus uniform [0, 1) noise:
a density of integers would grow without bound), and synthetic 60000 x 16 (a seeded draw with
rings, skewed, bimodal, heavy-tailed and nonlinearly dependent columns, partly mixed linearly:
the large table). Values are written as scikit-learn holds them (diabetes is already centred and
scaled by its authors).
"""
import csv
import os
import sys

import numpy as np
from sklearn import datasets


def write(path, names, rows):
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(names)
        for row in rows:
            out.writerow([repr(float(v)) if not float(v).is_integer() else str(int(v)) for v in row])
    print(f"{path}: {len(rows)} rows x {len(names)} columns")


def synthetic(rows, seed=0):
    """16 columns no Gaussian fits: a noisy ring, lognormal, bimodal, Student-t (3 dof), a sine of
    the bimodal one, a heteroscedastic one, an exponential one, then eight noisy linear mixtures
    of those eight and a product of two of them."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi, rows)
    radius = 2 + 0.2 * rng.standard_normal(rows)
    lognormal = rng.lognormal(0, 0.5, rows)
    bimodal = rng.choice([-2.0, 2.0], rows) + 0.5 * rng.standard_normal(rows)
    base = np.column_stack([
        radius * np.cos(angle), radius * np.sin(angle), lognormal, bimodal, rng.standard_t(3, rows),
        np.sin(2 * bimodal) + 0.3 * rng.standard_normal(rows),
        lognormal * (0.5 + 0.5 * rng.standard_normal(rows)), rng.exponential(1.0, rows)])
    mixed = base @ rng.standard_normal((8, 7)) / np.sqrt(8) + 0.5 * rng.standard_normal((rows, 7))
    product = base[:, 0] * base[:, 4] + 0.3 * rng.standard_normal(rows)
    return np.column_stack([base, mixed, product])


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join("build", "tables")
    os.makedirs(out_dir, exist_ok=True)
    diabetes = datasets.load_diabetes()
    write(os.path.join(out_dir, "diabetes.csv"), list(diabetes.feature_names) + ["progression"],
          [list(x) + [y] for x, y in zip(diabetes.data, diabetes.target)])
    for name, loader in (("iris", datasets.load_iris), ("wine", datasets.load_wine)):
        table = loader()
        names = [n.replace(" (cm)", "").replace(" ", "_") for n in table.feature_names] + ["class"]
        write(os.path.join(out_dir, name + ".csv"), names, [list(x) + [y] for x, y in zip(table.data, table.target)])
    cancer = datasets.load_breast_cancer()
    write(os.path.join(out_dir, "breast_cancer.csv"), [n.replace(" ", "_") for n in cancer.feature_names],
          [list(x) for x in cancer.data])
    digits = datasets.load_digits()
    noise = np.random.default_rng(1).uniform(0, 1, digits.data.shape)
    write(os.path.join(out_dir, "digits.csv"), [f"pixel_{i}" for i in range(64)], digits.data + noise)
    write(os.path.join(out_dir, "synthetic.csv"), [f"x{i}" for i in range(16)], synthetic(60000))


if __name__ == "__main__":
    main()
