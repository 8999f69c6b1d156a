"""Times the conformance checks (native and great-expectations engines) at 44, 1,000 and 10,000 subjects.

    python benchmarks/bench_checks.py              # 44, 1000, 10000 subjects, both engines
    python benchmarks/bench_checks.py 44 2000      # chosen sizes
    python benchmarks/bench_checks.py --native 10000
    python benchmarks/bench_checks.py --folder out/sdtm   # what `cdisckit check out/sdtm` does: read + check

SDTM frames come from the real pipeline (cdisckit.synth raw export -> cdisckit.sdtm mapping) when those
modules are available, else from a small numpy synthesiser (DM, AE, EX, TU, TR, RS). The native engine is
also timed as `cdisckit check` runs it: the frames written as XPT v5, then read back and checked.
Targets: native checks of 10,000 subjects < 10 s and at least 4x faster than engine "gx"; `cdisckit check`
of the 10,000-subject SDTM <= 3 s including reading the XPT files.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cdisckit.checks import run_checks


def pipeline_study(n: int, work: Path) -> dict[str, pd.DataFrame] | None:
    """SDTM datasets from the synthetic raw export and the SDTM mapping, or None when unavailable."""
    try:
        from cdisckit.pipeline import bundled_study_dir
        from cdisckit.sdtm import map_study
        from cdisckit.synth import write_raw_export
    except ImportError:
        return None
    study = bundled_study_dir()
    write_raw_export(study / "synth.yaml", work / f"raw{n}", n, 31)
    return map_study(study, work / f"raw{n}").datasets


def _dates(rng, start: np.ndarray, days: np.ndarray) -> np.ndarray:
    return (start + days.astype("timedelta64[D]")).astype(str).astype(object)


def numpy_study(n: int, seed: int = 31) -> dict[str, pd.DataFrame]:
    """SDTM-like frames (same shapes as the pipeline: ~7 AE, ~9 EX, ~4 TU, ~27 TR, ~24 RS per subject)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"S1-{i:05d}" for i in range(n)], dtype=object)
    start = np.datetime64("2024-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]")

    def rep(k):
        counts = rng.poisson(k, n) + 1
        idx = np.repeat(np.arange(n), counts)
        seq = np.concatenate([np.arange(1, c + 1) for c in counts]).astype(float)
        return idx, seq

    dm = pd.DataFrame(
        {
            "STUDYID": "S1",
            "DOMAIN": "DM",
            "USUBJID": ids,
            "SUBJID": ids,
            "RFSTDTC": _dates(rng, start, np.zeros(n)),
            "RFXSTDTC": _dates(rng, start, np.zeros(n)),
            "RFXENDTC": _dates(rng, start, np.full(n, 200)),
            "SITEID": "01",
            "AGE": rng.integers(18, 90, n).astype(float),
            "AGEU": "YEARS",
            "SEX": rng.choice(["F", "M"], n).astype(object),
            "RACE": "WHITE",
            "COUNTRY": "USA",
        }
    )
    i, seq = rep(6)
    d = rng.integers(1, 150, len(i))
    ae = pd.DataFrame(
        {
            "STUDYID": "S1",
            "DOMAIN": "AE",
            "USUBJID": ids[i],
            "AESEQ": seq,
            "AETERM": rng.choice(["Headache", "Nausea", "Fatigue", "Pyrexia"], len(i)).astype(object),
            "AEDECOD": rng.choice(["HEADACHE", "NAUSEA", "FATIGUE", "PYREXIA"], len(i)).astype(object),
            "AESER": rng.choice(["N", "Y"], len(i)).astype(object),
            "AESTDTC": _dates(rng, start[i], d),
            "AEENDTC": _dates(rng, start[i], d + 5),
            "AESTDY": (d + 1).astype(float),
        }
    )
    i, seq = rep(8)
    d = rng.integers(0, 190, len(i))
    ex = pd.DataFrame(
        {
            "STUDYID": "S1",
            "DOMAIN": "EX",
            "USUBJID": ids[i],
            "EXSEQ": seq,
            "EXTRT": "DRUG A",
            "EXDOSE": 100.0,
            "EXDOSU": "mg",
            "EXSTDTC": _dates(rng, start[i], d),
            "EXENDTC": _dates(rng, start[i], d + 1),
        }
    )
    i, seq = rep(3)
    tu = pd.DataFrame(
        {
            "STUDYID": "S1",
            "DOMAIN": "TU",
            "USUBJID": ids[i],
            "TUSEQ": seq,
            "TULNKID": [f"T{int(s):02d}" for s in seq],
            "TUTESTCD": "TUMIDENT",
            "TUTEST": "Tumor Identification",
            "TUORRES": "TARGET",
            "TUSTRESC": "TARGET",
            "TULOC": "LIVER",
        }
    )
    visits = 7
    tri = np.repeat(np.arange(len(tu)), visits)
    vis = np.tile(np.arange(1, visits + 1), len(tu)).astype(float)
    tr = pd.DataFrame(
        {
            "STUDYID": "S1",
            "DOMAIN": "TR",
            "USUBJID": tu["USUBJID"].to_numpy()[tri],
            "TRLNKID": tu["TULNKID"].to_numpy()[tri],
            "TRLNKGRP": [f"V{int(v)}" for v in vis],
            "TRTESTCD": "LDIAM",
            "TRTEST": "Longest Diameter",
            "TRSTRESN": rng.uniform(5, 80, len(tri)).round(),
            "VISITNUM": vis,
        }
    )
    tr["TRSEQ"] = tr.groupby("USUBJID").cumcount().astype(float) + 1
    tr["TRORRES"] = tr["TRSTRESC"] = tr["TRSTRESN"].astype(int).astype(str).astype(object)
    rs = tr[["STUDYID", "USUBJID", "TRLNKGRP", "VISITNUM"]].drop_duplicates().rename(columns={"TRLNKGRP": "RSLNKGRP"})
    rs = pd.concat([rs.assign(RSTESTCD=c) for c in ("TRGRESP", "NTRGRESP", "OVRLRESP")], ignore_index=True)
    rs = rs.assign(
        DOMAIN="RS",
        RSTEST="Overall Response",
        RSCAT="RECIST 1.1",
        RSSTRESC=rng.choice(["CR", "PR", "SD", "PD"], len(rs)).astype(object),
    )
    rs["RSSEQ"] = rs.groupby("USUBJID").cumcount().astype(float) + 1
    return {"DM": dm, "AE": ae, "EX": ex, "TU": tu, "TR": tr, "RS": rs}


def timed(datasets, engine: str):
    t0 = time.perf_counter()
    report = run_checks(datasets, standard="sdtmig-3.4", engine=engine)
    return time.perf_counter() - t0, report


def per_dataset(datasets, engine: str) -> dict[str, float]:
    """Check time of each dataset alone (cross-dataset rules need their partner and are in the total)."""
    return {name: timed({name: df}, engine)[0] for name, df in sorted(datasets.items())}


def check_folder(folder: Path, label: str) -> float:
    """Read every dataset of ``folder`` and check it, as `cdisckit check` does; print and return the seconds."""
    from cdisckit.io import read_folder

    t0 = time.perf_counter()
    datasets = read_folder(folder)
    t1 = time.perf_counter()
    report = run_checks(datasets)
    t2 = time.perf_counter()
    rows = sum(len(d) for d in datasets.values())
    total = t2 - t0
    print(
        f"  check with reading ({label}, {rows:,} records): {total:.2f} s = read {t1 - t0:.2f} + check {t2 - t1:.2f}"
        f"   ({len(report.errors)} errors, {len(report.warnings)} warnings)   target <= 3 s: "
        + ("met" if total <= 3 else "NOT met")
    )
    return total


def write_folder(datasets: dict[str, pd.DataFrame], folder: Path) -> Path:
    """The frames as XPT v5 files (no spec labels), as a run writes its sdtm/ folder."""
    from cdisckit.formats.xpt import write_xpt

    folder.mkdir(parents=True, exist_ok=True)
    for name, df in datasets.items():
        write_xpt(df, folder / f"{name.lower()}.xpt", None, name=name)
    return folder


def bench(n: int, work: Path, engines: list[str]) -> dict[str, float]:
    datasets = pipeline_study(n, work)
    source = "synth + sdtm pipeline"
    if datasets is None:
        datasets, source = numpy_study(n), "numpy synthesiser"
    rows = sum(len(d) for d in datasets.values())
    print(f"\n{n:,} subjects ({source}): {len(datasets)} datasets, {rows:,} records")
    totals = {}
    if "gx" in engines:  # pay the one-off great_expectations import outside the timings
        timed({"DM": datasets["DM"].head(2)}, "gx")
    for engine in engines:
        per = per_dataset(datasets, engine)
        total, report = timed(datasets, engine)
        totals[engine] = total
        print(
            f"  engine {engine:<6}  total {total:8.2f} s   ({len(report.errors)} errors, {len(report.warnings)} warnings)"
        )
        print("    " + "  ".join(f"{k} {v:.2f}" for k, v in per.items()))
    if len(totals) == 2:
        print(f"  native is {totals['gx'] / totals['native']:.1f}x faster than gx")
    if "native" in engines:
        check_folder(write_folder(datasets, work / f"xpt{n}"), "XPT files written from these frames")
    return totals


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--folder" in args:
        folder = Path(args[args.index("--folder") + 1])
        print(f"{folder}:")
        check_folder(folder, "cdisckit check")
        sys.exit(0)
    engines = ["native"] if "--native" in args else ["native", "gx"]
    sizes = [int(a) for a in args if not a.startswith("--")] or [44, 1000, 10000]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            bench(n, Path(tmp), engines)
