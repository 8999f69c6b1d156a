"""Times synth -> SDTM -> checks -> ADaM -> XPT at several study sizes; prints seconds and peak memory per stage.

    python benchmarks/bench_pipeline.py                 # 44, 1000, 10000 subjects
    python benchmarks/bench_pipeline.py 44 2000         # chosen sizes
    python benchmarks/bench_pipeline.py --heap 1000     # also the Python-heap peak per stage (tracemalloc; slower)

Figures, not pass/fail. Targets: SDTM of 10,000 subjects < 20 s; ADaM < 20 s; native checks < 10 s.
Memory is the process high-water mark (ru_maxrss) after each stage; with --heap, also the stage's own heap peak.
Timings are taken without tracemalloc, which slows pandas-heavy code several-fold.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from cdisckit.pipeline import bundled_study_dir

HEAP = False


def measure(label: str, fn):
    t0 = time.perf_counter()
    result = fn()
    secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    heap = ""
    if HEAP:
        tracemalloc.start()
        fn()
        heap = f"   peak heap {tracemalloc.get_traced_memory()[1] / 2**20:8.1f} MiB"
        tracemalloc.stop()
    print(f"  {label:<22} {secs:8.2f} s   max RSS {rss:8.1f} MiB{heap}", flush=True)
    return result


def bench(n: int, work: Path) -> None:
    from cdisckit.adam import derive_adam, load_params
    from cdisckit.checks import run_checks
    from cdisckit.pipeline import write_datasets
    from cdisckit.sdtm import map_study
    from cdisckit.synth import write_raw_export

    study = bundled_study_dir()
    raw = work / f"raw{n}"
    print(f"{n} subjects")
    measure("synth", lambda: write_raw_export(study / "synth.yaml", raw, n, 31))
    res = measure("sdtm (map)", lambda: map_study(study, raw))
    measure("checks sdtm (native)", lambda: run_checks(res.datasets, standard="sdtmig-3.4"))
    params = load_params(None, study_dir=study)
    adam = measure("adam (derive)", lambda: derive_adam(res.datasets, params))
    measure("checks adam (native)", lambda: run_checks(adam, standard="adamig-1.3"))
    measure("write sdtm xpt+json", lambda: write_datasets(res.datasets, work / f"out{n}", "sdtm", study_id="S"))
    rows = sum(len(d) for d in res.datasets.values())
    print(f"  SDTM records {rows:,}; ADaM records {sum(len(d) for d in adam.values()):,}")


if __name__ == "__main__":
    HEAP = "--heap" in sys.argv
    sizes = [int(a) for a in sys.argv[1:] if a != "--heap"] or [44, 1000, 10000]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            bench(n, Path(tmp))
