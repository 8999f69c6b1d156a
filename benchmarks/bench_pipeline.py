"""Times every stage of ``cdisckit run`` (and ``cdisckit check``) at several study sizes, through the pipeline's
own functions; prints seconds, rows/s and peak RSS per stage, the growth 1k -> 10k and the issue-11 targets.

    python benchmarks/bench_pipeline.py                     # 44 and 1,000 subjects
    python benchmarks/bench_pipeline.py --subjects 10000    # 44, 1,000 and 10,000 (the targets are at 10k)
    python benchmarks/bench_pipeline.py 1000 30000          # chosen sizes
    python benchmarks/bench_pipeline.py --formats 1000      # + the writers beside pyreadstat / json.dumps
    python benchmarks/bench_pipeline.py --json out.json     # also the figures as JSON
    python benchmarks/bench_pipeline.py --once 100000       # one run only (no JOBS=2 run, no check): the 24 GB target

How: ``cdisckit synth --subjects N --seed 31`` writes the raw export (not timed as part of the run), then
:func:`cdisckit.pipeline.run_study` runs as ``cdisckit run --allow-errors`` does:

1. in one process on one thread (``CDISCKIT_JOBS=1 CDISCKIT_THREADS=1``), with a timer wrapped around each
   function it calls (``map_study``, ``check_datasets``, ``write_xpt``, ``write_define`` ...): the stage table.
   The stages are the pipeline's own functions, not a copy of the pipeline;
2. as ``cdisckit run`` runs by default, in a process of its own: the end-to-end time and memory the targets
   are judged on;
3. with ``--fork``, also with ``CDISCKIT_JOBS=2``, the setting that spends memory for time: the SDTM checks and
   writers forked beside the ADaM derive, the ADaM writers beside the report (:mod:`cdisckit.background`), the
   data files of a folder on two threads (:mod:`cdisckit.threads`). Memory of runs 2 and 3 is the peak of the
   summed PSS of the main process and its forked step (sampled every 50 ms): pages the fork shares count once.

After the run, ``cdisckit check`` is timed on the SDTM folder it wrote (reading + checks, as the CLI does), in a
process of its own (its imports are timed apart). Each size, and runs 2 and 3, run in a fresh process so that
their memory figures are their own.

Peak RSS per stage is the kernel's high-water mark (VmHWM), reset when a stage starts (``/proc/self/clear_refs``)
and read when it ends; a stage's peak includes the data already held by the run. Rows: the records a stage
reads or writes (SDTM records for map/checks/writers of SDTM, ADaM records for derive and the ADaM stages).

``--formats`` runs ``benchmarks/bench_formats.py`` on the same sizes: the XPT and Dataset-JSON writers beside
pyreadstat and json.dumps in the same period (ratios, since the machine is shared and noisy).
Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = 31
TARGET_TOTAL_S = 20.0  # 10,000 subjects end to end, report and define.xml included, 2 cores
TARGET_RSS_MIB = 1024.0
TARGET_CHECK_S = 3.0  # cdisckit check on the 10k SDTM, reading included
TARGET_LARGE_SUBJECTS = 100_000  # "a 100,000-subject study runs within 24 GB"
TARGET_LARGE_GIB = 24.0
GROWTH_SLACK = 1.25  # a stage "grows no faster than its rows" when time growth <= 1.25 x row growth


# --- memory ----------------------------------------------------------------------------------------------------
def _hwm_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_hwm() -> None:
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak RSS to the current RSS (Linux >= 4.0)


# --- timers around the pipeline's functions ---------------------------------------------------------------------
class Timers:
    """Wraps module attributes with timers; keeps per-stage seconds, rows and peak RSS.

    Stages nest (e.g. ``write_datasets`` holds the writers and define.xml); a stage's figures are inclusive, and
    the table shows the leaves plus the run's total."""

    def __init__(self):
        self.stats: dict[str, dict] = {}
        self.order: list[str] = []
        self.active: list[str] = []  # stages running now, outermost first
        self.phase = ""  # "sdtm" or "adam": which half of the run
        self._undo: list = []

    def _bump_peaks(self, peak: float) -> None:
        for label in self.active:
            self.stats[label]["rss"] = max(self.stats[label]["rss"], peak)

    @contextlib.contextmanager
    def stage(self, label: str, rows: int = 0):
        if label not in self.stats:
            self.stats[label] = {"secs": 0.0, "cpu": 0.0, "rows": 0, "rss": 0.0, "calls": 0}
            self.order.append(label)
        self._bump_peaks(_hwm_mib())  # what the enclosing stages reached so far
        _reset_hwm()
        self.active.append(label)
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            yield self.stats[label]
        finally:
            st = self.stats[label]
            st["secs"] += time.perf_counter() - t0
            st["cpu"] += time.process_time() - c0  # this process's CPU: what the stage costs whatever else runs
            st["rows"] += rows
            st["calls"] += 1
            self._bump_peaks(_hwm_mib())
            self.active.pop()

    def wrap(self, module, attr: str, label, rows=None, result_rows=None, phase: str | None = None):
        """Time ``module.attr``; ``label``: text or fn(args, kwargs) -> text; ``rows``: fn(args, kwargs) -> int;
        ``result_rows``: fn(result) -> int; ``phase``: sets the run's phase while the function runs."""
        original = getattr(module, attr)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            name = label(args, kwargs) if callable(label) else label
            name = name.format(phase=self.phase)
            before = self.phase
            if phase:
                self.phase = phase
            try:
                with self.stage(name, rows(args, kwargs) if rows else 0) as st:
                    result = original(*args, **kwargs)
                    if result_rows is not None:
                        st["rows"] += result_rows(result)
                return result
            finally:
                self.phase = before

        setattr(module, attr, timed)
        self._undo.append((module, attr, original))

    def undo(self) -> None:
        for module, attr, original in reversed(self._undo):
            setattr(module, attr, original)
        self._undo.clear()


def _records(datasets) -> int:
    return sum(len(df) for df in datasets.values())


def _first_datasets(args, kwargs) -> int:
    return _records(args[0] if args else kwargs["datasets"])


def instrument(timers: Timers) -> None:
    """Put a timer around every function ``run_study`` calls, where it looks them up."""
    import cdisckit.adam
    import cdisckit.formats.datasetjson
    import cdisckit.formats.xpt
    import cdisckit.pipeline as pipeline
    import cdisckit.report
    import cdisckit.sdtm
    import cdisckit.transaction
    import cdisckit.writers.define
    import cdisckit.writers.guide

    t = timers
    t.wrap(pipeline, "validate_study_inputs", "validate inputs (specs, raw headers)")
    t.wrap(pipeline, "map_sdtm", "sdtm stage (map)", phase="sdtm")
    t.wrap(pipeline, "publish_sdtm", "sdtm stage (checks, writers)", phase="sdtm")
    t.wrap(pipeline, "derive_adam_datasets", "adam stage (derive)", phase="adam")
    t.wrap(pipeline, "gate_adam", "adam stage (checks)", phase="adam")
    t.wrap(pipeline, "publish_adam", "adam stage (writers)", phase="adam")
    t.wrap(cdisckit.sdtm, "map_study", "SDTM map", result_rows=lambda r: _records(r.datasets))
    t.wrap(cdisckit.adam, "derive_adam", "ADaM derive", result_rows=_records)
    t.wrap(pipeline, "check_datasets", "checks {phase}", rows=_first_datasets)
    t.wrap(pipeline, "write_check_reports", "check reports + GX suites {phase}")
    t.wrap(cdisckit.writers.guide, "build_csdrg", "guide cSDRG", rows=_first_datasets)
    t.wrap(cdisckit.writers.guide, "build_adrg", "guide ADRG", rows=_first_datasets)
    t.wrap(cdisckit.formats.xpt, "write_xpt", "XPT {phase}", rows=lambda a, k: len(a[0]))
    t.wrap(cdisckit.formats.datasetjson, "write_dataset_json", "Dataset-JSON {phase}", rows=lambda a, k: len(a[0]))
    t.wrap(cdisckit.writers.define, "write_define", "define.xml {phase}", rows=_first_datasets)
    t.wrap(cdisckit.writers.define, "write_define_html", "define.html {phase}")
    t.wrap(cdisckit.report, "build_report", "report.html", rows=_first_datasets)
    t.wrap(cdisckit.transaction.OutputFolder, "_commit", "transaction swap")


# Leaves shown in the table, in the order a run meets them (containers such as "sdtm stage (all)" are not).
SHOWN = [
    "validate inputs (specs, raw headers)",
    "SDTM map",
    "checks sdtm",
    "check reports + GX suites sdtm",
    "guide cSDRG",
    "XPT sdtm",
    "Dataset-JSON sdtm",
    "define.xml sdtm",
    "define.html sdtm",
    "ADaM derive",
    "checks adam",
    "check reports + GX suites adam",
    "guide ADRG",
    "XPT adam",
    "Dataset-JSON adam",
    "define.xml adam",
    "define.html adam",
    "report.html",
    "transaction swap",
]


def one_size(n: int, seed: int, once: bool = False, fork: bool = False) -> dict:
    """Synth + ``run_study`` (instrumented) + ``cdisckit check`` on the SDTM it wrote, for ``n`` subjects."""
    from cdisckit.pipeline import bundled_study_dir, run_study
    from cdisckit.synth import write_raw_export

    study = bundled_study_dir()
    timers = Timers()
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "raw", Path(tmp) / "out"
        t0 = time.perf_counter()
        write_raw_export(study / "synth.yaml", raw, n, seed)
        synth_secs = time.perf_counter() - t0
        instrument(timers)
        try:
            _reset_hwm()
            # one process, one thread: every stage timed where it runs
            with _env(CDISCKIT_JOBS="1", CDISCKIT_THREADS="1"), timers.stage("run (end to end)"):
                summary = run_study(study, raw, out, allow_errors=True)
        finally:
            timers.undo()
        written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        # each in a process of its own, so that its memory and time are not those of the run before it
        check = None if once else in_fresh_process("--check", out / "sdtm")
        default = None if once else in_fresh_process("--whole", raw, Path(tmp) / "out2")
        two_cores = in_fresh_process("--whole", raw, Path(tmp) / "out3", JOBS="2") if fork and not once else None
    records = summary["records_written"]
    return {
        "subjects": n,
        "synth_secs": synth_secs,
        "stats": timers.stats,
        "check": check,
        "records": records,
        "bytes_written": written,
        "checks": summary["checks"],
        "default": default,
        "two_cores": two_cores,
    }


@contextlib.contextmanager
def _env(**values: str | None):
    """Environment variables set (None: unset) while the block runs."""
    before = {k: os.environ.get(k) for k in values}
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _pss_mib(pid: int) -> float:
    """Proportional set size of one process: its private pages plus its share of the pages it shares."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(k) for k in f.read().split()]
    return kids


class TreeMemory:
    """Samples the memory of this process and its forked steps every ``interval`` s (a thread): the peak of
    their summed PSS is the run's memory, counting pages the fork shares with the main process once."""

    def __init__(self, interval: float = 0.05):
        import threading

        self.interval, self.peak, self.samples = interval, 0.0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            self.peak = max(self.peak, _pss_mib(me) + sum(_pss_mib(k) for k in _children(me)))
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def in_fresh_process(what: str, *paths: Path, JOBS: str | None = None) -> dict:
    """:func:`run_whole` (``--whole RAW OUT``) or :func:`check_folder` (``--check DIR``) in a new process of this
    script, with ``CDISCKIT_JOBS`` / ``CDISCKIT_THREADS`` unset (``JOBS``: that CDISCKIT_JOBS); its figures."""
    env = {k: v for k, v in os.environ.items() if k not in ("CDISCKIT_JOBS", "CDISCKIT_THREADS")}
    if JOBS is not None:
        env["CDISCKIT_JOBS"] = JOBS
    cmd = [sys.executable, __file__, what, *map(str, paths)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-4000:]}")
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "process_secs": time.perf_counter() - t0}


def run_whole(raw: Path, out: Path) -> dict:
    """``run_study`` as ``cdisckit run --allow-errors`` runs it with this process's environment (no
    ``CDISCKIT_JOBS``: the defaults; ``CDISCKIT_JOBS=2``: checks and writers also forked beside the derive and the
    report): wall seconds, the peak of the summed PSS of the process and its forked steps, and the main process's
    peak RSS."""
    import resource

    from cdisckit.pipeline import bundled_study_dir, run_study

    study = bundled_study_dir()
    _reset_hwm()
    with TreeMemory() as mem:
        t0 = time.perf_counter()
        run_study(study, raw, out, allow_errors=True)
        secs = time.perf_counter() - t0
    return {
        "secs": secs,
        "pss_peak": mem.peak,
        "main_rss": _hwm_mib(),
        "step_rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,  # largest forked step
        "cpu": _cpu_seconds(resource.RUSAGE_SELF) + _cpu_seconds(resource.RUSAGE_CHILDREN),
    }


def _cpu_seconds(who: int) -> float:
    import resource

    u = resource.getrusage(who)
    return u.ru_utime + u.ru_stime


def check_folder(folder: Path) -> dict:
    """``cdisckit check FOLDER`` as the CLI does it: read every dataset, run the checks."""
    t0 = time.perf_counter()
    from cdisckit.checks import run_checks
    from cdisckit.io import read_folder

    imports = time.perf_counter() - t0
    _reset_hwm()
    t0 = time.perf_counter()
    codes: dict = {}  # as the CLI does: the reader's text codes go to the checks
    datasets = read_folder(folder, text_codes=codes)
    read_secs = time.perf_counter() - t0
    run_checks(datasets, standard=None, engine="native", text_codes=codes)
    total = time.perf_counter() - t0
    return {"read": read_secs, "total": total, "imports": imports, "rows": _records(datasets), "rss": _hwm_mib()}


# --- printing ---------------------------------------------------------------------------------------------------
def _rate(rows: int, secs: float) -> str:
    return f"{rows / secs:>12,.0f}" if rows and secs > 0 else f"{'':>12}"


def print_size(r: dict) -> None:
    st = r["stats"]
    sdtm_rows = sum(v for k, v in r["records"].items() if not k.startswith("AD"))
    adam_rows = sum(v for k, v in r["records"].items() if k.startswith("AD"))
    print(
        f"\n{r['subjects']:,} subjects: {sdtm_rows:,} SDTM + {adam_rows:,} ADaM records, "
        f"{r['bytes_written'] / 2**20:,.1f} MiB written (synth {r['synth_secs']:.1f} s, not counted); "
        f"checks: {r['checks']}"
    )
    print(f"  {'stage':<36} {'seconds':>8} {'share':>6} {'rows/s':>12} {'peak RSS MiB':>13} {'CPU s':>8}")
    total = st["run (end to end)"]["secs"]
    shown = 0.0
    for label in SHOWN:
        if label in st:
            s = st[label]
            shown += s["secs"]
            print(f"  {label:<36} {s['secs']:8.2f} {100 * s['secs'] / total:5.1f}% {_rate(s['rows'], s['secs'])}"
                  f" {s['rss']:13.0f} {s.get('cpu', 0.0):8.2f}")  # fmt: skip
    print(f"  {'(rest: run.json, staging, glue)':<36} {total - shown:8.2f} {100 * (total - shown) / total:5.1f}%")
    whole = st["run (end to end)"]
    print(
        f"  {'run (end to end)':<36} {total:8.2f} {100.0:5.1f}% {'':>12} {whole['rss']:13.0f} {whole.get('cpu', 0):8.2f}"
    )
    print(f"  {'  (the table above: one process, one thread)':<36}")
    for key, text in (
        ("default", "run as `cdisckit run` (defaults)"),
        ("two_cores", "run with CDISCKIT_JOBS=2"),
    ):
        w = r.get(key)
        if w is not None:
            forked = f", largest forked step RSS {w['step_rss']:.0f}" if key == "two_cores" else ""
            print(f"  {text:<36} {w['secs']:8.2f} {'':>6} {'':>12} {w['pss_peak']:13.0f}   (summed PSS; main RSS"
                  f" {w['main_rss']:.0f}{forked}; CPU {w['cpu']:.2f} s)")  # fmt: skip
    if r["check"] is None:  # --once
        return
    c = r["check"]
    print(f"  {'cdisckit check sdtm (read + checks)':<36} {c['total']:8.2f} {'':>6} {_rate(c['rows'], c['total'])}"
          f" {c['rss']:13.0f}   (reading {c['read']:.2f} s; the whole process {c['process_secs']:.2f} s with"
          f" Python start-up and {c['imports']:.2f} s of imports)")  # fmt: skip


def print_growth(small: dict, big: dict) -> None:
    a, b = small["stats"], big["stats"]
    print(f"\ngrowth {small['subjects']:,} -> {big['subjects']:,} subjects (time growth / row growth; "
          f"<= {GROWTH_SLACK} means the stage grows no faster than its rows; CPU seconds: what the load around the "
          "run does not change)")  # fmt: skip
    print(f"  {'stage':<36} {'time x':>8} {'CPU x':>8} {'rows x':>8} {'ratio':>7} {'CPU ratio':>9}")
    for label in [*SHOWN, "run (end to end)"]:
        if label in a and label in b and a[label]["secs"] > 0:
            tx = b[label]["secs"] / a[label]["secs"]
            cx = b[label].get("cpu", 0.0) / a[label]["cpu"] if a[label].get("cpu") else float("nan")
            rows_a, rows_b = a[label]["rows"], b[label]["rows"]
            rx = rows_b / rows_a if rows_a else big["subjects"] / small["subjects"]
            flag = "" if min(tx, cx if cx == cx else tx) <= GROWTH_SLACK * rx else "  <- faster than its rows"
            print(f"  {label:<36} {tx:8.1f} {cx:8.1f} {rx:8.1f} {tx / rx:7.2f} {cx / rx:9.2f}{flag}")


def held_back(r: dict, what: str) -> str:
    """What holds a target back, from the measured stage table: the largest stages (time), the stage where the
    peak was reached (memory), reading against checking (``cdisckit check``)."""
    st = r["stats"]
    leaves = [(label, st[label]) for label in SHOWN if label in st]
    if what == "time":
        total = st["run (end to end)"]["secs"]
        top = sorted(leaves, key=lambda kv: -kv[1]["secs"])[:3]
        return "largest stages: " + ", ".join(f"{k} {v['secs']:.1f} s ({100 * v['secs'] / total:.0f}%)" for k, v in top)
    if what == "memory":
        top = sorted(leaves, key=lambda kv: -kv[1]["rss"])[:2]
        return "peak reached in: " + ", ".join(f"{k} {v['rss']:.0f} MiB" for k, v in top)
    if what == "two":
        two = r["two_cores"]
        return f"main process {two['main_rss']:.0f} MiB + forked step (largest {two['step_rss']:.0f} MiB RSS)"
    c = r["check"]
    return f"reading the XPT files {c['read']:.1f} s, the checks {c['total'] - c['read']:.1f} s"


def print_targets(r: dict) -> None:
    st, default, two, check = r["stats"], r.get("default"), r.get("two_cores"), r["check"]
    print(f"\ntargets at {r['subjects']:,} subjects (issue 11):")
    if default is not None:  # what a user waits for: cdisckit run with its defaults
        rows = [
            ("end to end incl. report and define.xml", default["secs"], TARGET_TOTAL_S, "s", "time"),
            ("peak RSS of the run", default["pss_peak"], TARGET_RSS_MIB, "MiB", "memory"),
        ]
    else:  # --once: the instrumented run (one thread)
        rows = [
            ("end to end (one thread)", st["run (end to end)"]["secs"], TARGET_TOTAL_S, "s", "time"),
            ("peak RSS of the run", st["run (end to end)"]["rss"], TARGET_RSS_MIB, "MiB", "memory"),
        ]
    if two is not None:
        rows += [
            ("end to end, CDISCKIT_JOBS=2", two["secs"], TARGET_TOTAL_S, "s", "time"),
            ("peak memory, CDISCKIT_JOBS=2 (summed PSS)", two["pss_peak"], TARGET_RSS_MIB, "MiB", "two"),
        ]
    if check is not None:
        rows.append(("cdisckit check on the SDTM, reading included", check["total"], TARGET_CHECK_S, "s", "check"))
    if r["subjects"] >= TARGET_LARGE_SUBJECTS:  # the targets above are stated at 10k; this one at 100k
        rows = [(f"peak RSS at {r['subjects']:,} subjects", rows[1][1] / 1024, TARGET_LARGE_GIB, "GiB", "memory")]
    for text, value, target, unit, what in rows:
        verdict = "met" if value <= target else "NOT met"
        print(f"  {text:<46} {value:9.1f} {unit:<4} target <= {target:g} {unit}: {verdict}")
        if value > target:
            print(f"  {'':<46} held back by {held_back(r, what)}")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, help="study sizes (default 44 1000)")
    ap.add_argument("--subjects", type=int, action="append", default=[], help="add a size (e.g. 10000)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--formats", action="store_true", help="also bench_formats.py (writers vs pyreadstat/json)")
    ap.add_argument("--json", type=Path, help="write the figures as JSON here")
    ap.add_argument("--once", action="store_true", help="one run per size (the stage table): no cdisckit check")
    ap.add_argument("--fork", action="store_true", help="also a run with CDISCKIT_JOBS=2 (forked steps)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size, print JSON
    ap.add_argument("--whole", nargs=2, type=Path, help=argparse.SUPPRESS)  # internal: run_whole RAW OUT
    ap.add_argument("--check", type=Path, help=argparse.SUPPRESS)  # internal: check_folder DIR
    args = ap.parse_args(argv)
    if args.whole is not None:
        print(json.dumps(run_whole(*args.whole)))
        return 0
    if args.check is not None:
        print(json.dumps(check_folder(args.check)))
        return 0
    if args.one is not None:
        print(json.dumps(one_size(args.one, args.seed, once=args.once, fork=args.fork)))
        return 0
    sizes = sorted(set(args.sizes or [44, 1000]) | set(args.subjects))
    print(f"cdisckit run stage by stage, seed {args.seed}, {os.cpu_count()} CPUs, pid {os.getpid()}")
    results = []
    for n in sizes:
        cmd = [
            sys.executable,
            __file__,
            "--one",
            str(n),
            "--seed",
            str(args.seed),
            *(["--once"] if args.once else []),
            *(["--fork"] if args.fork else []),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode:
            print(proc.stdout[-2000:], proc.stderr[-4000:], file=sys.stderr)
            return proc.returncode
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print_size(results[-1])
    by_size = {r["subjects"]: r for r in results}
    if 1000 in by_size and 10000 in by_size:
        print_growth(by_size[1000], by_size[10000])
    elif len(results) >= 2:
        print_growth(results[-2], results[-1])
    for r in results:  # the targets are stated at 10,000 subjects (or the largest size run) and at 100,000
        if r is results[-1] or r["subjects"] == 10000 or r["subjects"] >= TARGET_LARGE_SUBJECTS:
            print_targets(r)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    if args.formats:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import bench_formats

        for n in sizes:
            bench_formats.bench(n, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
