"""Times the synthetic raw export (generate + write CSV) at several study sizes; prints seconds, peak memory, rows.

    python benchmarks/bench_synth.py              # 44, 1000, 10000 subjects
    python benchmarks/bench_synth.py 44 50000     # chosen sizes

A figure, not pass/fail (target: 10,000 subjects well under 20 s). Each size runs in a fresh child process so
the memory figures are per size: peak Python heap (tracemalloc, which slows the run a little, so the time is
measured in a separate untraced run) and the process high-water mark (ru_maxrss).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

DESIGN = Path(__file__).resolve().parents[1] / "mappings" / "c-car031" / "synth.yaml"


def run_one(n: int, seed: int = 31) -> dict:
    from cdisckit.synth import write_raw_export

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        paths = write_raw_export(DESIGN, Path(tmp) / "a", n, seed)
        secs = time.perf_counter() - t0
        rows = sum(sum(1 for _ in open(p, encoding="utf-8")) - 1 for p in paths)
        size = sum(p.stat().st_size for p in paths)
        tracemalloc.start()
        write_raw_export(DESIGN, Path(tmp) / "b", n, seed)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n": n, "secs": secs, "peak": peak / 2**20, "rss": rss, "rows": rows, "mb": size / 2**20}


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(run_one(int(sys.argv[2]))))
        sys.exit(0)
    sizes = [int(a) for a in sys.argv[1:]] or [44, 1000, 10000]
    print(f"{'subjects':>9} {'seconds':>8} {'peak heap MiB':>14} {'max RSS MiB':>12} {'rows':>10} {'CSV MiB':>8}")
    for n in sizes:
        res = subprocess.run([sys.executable, __file__, "--child", str(n)], capture_output=True, text=True, check=True)
        r = json.loads(res.stdout.strip().splitlines()[-1])
        print(
            f"{r['n']:>9,} {r['secs']:>8.2f} {r['peak']:>14.1f} {r['rss']:>12.1f} {r['rows']:>10,} {r['mb']:>8.1f}",
            flush=True,
        )
