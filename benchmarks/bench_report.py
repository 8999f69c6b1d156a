"""Times the study report (tables + figures + HTML) on ADaM folders of several sizes.

    python benchmarks/bench_report.py out/adam out1k/adam out10k/adam

Each folder is an ``adam/`` written by ``cdisckit run`` (e.g. on ``cdisckit synth --subjects N``). Prints the subjects,
CPU seconds of this process (what the report costs, whatever else the machine runs) and wall seconds, for the tables
(compute_tables) and for the whole report. Target: a 10,000-subject study in a few seconds.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def main(folders: list[str]) -> int:
    from cdisckit.io import read_folder
    from cdisckit.report import build_report, compute_tables

    print(f"{'ADaM folder':<28}{'subjects':>9}{'tables cpu':>12}{'report cpu':>12}{'report wall':>13}")
    for folder in folders:
        adam = read_folder(Path(folder))
        c0, w0 = time.process_time(), time.perf_counter()
        compute_tables(adam)
        c1 = time.process_time()
        with tempfile.TemporaryDirectory() as tmp:
            c2, w2 = time.process_time(), time.perf_counter()
            build_report(adam, Path(tmp) / "report.html")
            c3, w3 = time.process_time(), time.perf_counter()
        print(f"{folder:<28}{len(adam['ADSL']):>9}{c1 - c0:>11.1f}s{c3 - c2:>11.1f}s{w3 - w2:>12.1f}s")
        del w0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["out/adam"]))
