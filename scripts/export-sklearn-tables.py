#!/usr/bin/python3
"""scripts/export-sklearn-tables.py — writes small real tables that ship with scikit-learn as CSV
files with a header, for trying `eigenflow train` on real data and for the table benchmarks
(benchmarks/tables.sh). Never run at build or test time.

    sudo apt-get install python3-sklearn      # Debian's package; Debian's own python3
    /usr/bin/python3 scripts/export-sklearn-tables.py [OUT_DIR]      # default: build/tables

Tables (rows x columns): diabetes 442 x 11 (ten measurements and the disease progression),
iris 150 x 5 (four measurements and the species id 0..2, the last column: --label-col -1),
wine 178 x 14 (thirteen measurements and the cultivar id 0..2, last), breast_cancer 569 x 30
(measurements only). Values are written as scikit-learn holds them (diabetes is already centred
and scaled by its authors).
"""
import csv
import os
import sys

from sklearn import datasets


def write(path, names, rows):
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(names)
        for row in rows:
            out.writerow([repr(float(v)) if not float(v).is_integer() else str(int(v)) for v in row])
    print(f"{path}: {len(rows)} rows x {len(names)} columns")


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


if __name__ == "__main__":
    main()
