"""Agreement of cdisckit's CDISCPILOT01 SDTM with the SDTM the pharmaverse publishes for it.

Maps examples/cdiscpilot01/raw with mappings/cdiscpilot01 and compares every dataset with
tests/data/cdiscpilot01/reference-sdtm record by record (keys below) and variable by variable; prints the
per-domain and per-variable table and the time taken. Each remaining difference is explained in
docs/cdiscpilot01.md.

    python benchmarks/sdtm_agreement.py [--differences N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "mappings" / "cdiscpilot01"
REFERENCE = ROOT / "tests" / "data" / "cdiscpilot01" / "reference-sdtm"

#: How records are matched (PROC COMPARE ID variables): natural keys, not --SEQ (numbered differently).
KEYS = {
    "DM": ["USUBJID"],
    "AE": ["USUBJID", "AETERM", "AEDTC"],
    "EX": ["USUBJID", "EXSTDTC"],
    "DS": ["USUBJID", "DSTERM", "DSSTDTC"],
    "VS": ["USUBJID", "VSTESTCD", "VISITNUM", "VSTPTNUM", "VSDTC"],
}


def agreement(differences: int | None = None):
    from cdisckit.compare import compare_datasets, read_datasets
    from cdisckit.sdtm import map_study

    ours = map_study(STUDY).datasets
    ref = read_datasets(REFERENCE)
    return compare_datasets(ours, ref, KEYS, max_differences=differences)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--differences", type=int, default=5, help="differing values listed per variable (default 5)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    c = agreement(args.differences)
    took = time.perf_counter() - t0
    print(c.table())
    if len(c.differences):
        print("\nfirst differing values per variable:")
        print(c.differences.to_string(index=False, max_colwidth=40))
    print(f"\nmapped and compared in {took:.1f} s")


if __name__ == "__main__":
    main()
