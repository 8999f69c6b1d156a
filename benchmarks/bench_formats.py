"""XPT v5 and Dataset-JSON: cdisckit's writers and readers side by side with pyreadstat and json.dumps.

    python benchmarks/bench_formats.py               # 1,000 and 10,000 subjects
    python benchmarks/bench_formats.py 44 3000       # chosen sizes
    python benchmarks/bench_formats.py --seed 7 1000

The datasets are those of the pipeline (cdisckit synth -> SDTM mapping -> ADaM derivation, seed 31 unless
--seed), cached in benchmarks/_work/. Every measurement runs in a forked child so that its peak RSS (the growth
of the child's high-water mark over its size at the fork) is its own; the machine is shared, so the ratios in
the same run are what count. Each measurement also checks that both sides wrote the same bytes.
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

_DATA: dict = {}


def datasets(n: int, seed: int) -> tuple[str, dict]:
    """(study id, {"SDTM": {...}, "ADaM": {...}}) for ``n`` synthetic subjects (mapped and derived afresh: no
    pickle cache, a benchmark loads no code from disk)."""
    from cdisckit.adam import derive_adam, load_params
    from cdisckit.pipeline import bundled_study_dir, study_id_of
    from cdisckit.sdtm import map_study
    from cdisckit.synth import write_raw_export

    study = bundled_study_dir()
    with tempfile.TemporaryDirectory() as tmp:
        write_raw_export(study / "synth.yaml", Path(tmp) / "raw", n, seed)
        result = map_study(study, Path(tmp) / "raw")
    adam = derive_adam(result.datasets, load_params(None, study_dir=study))
    value = (study_id_of(result.study), {"SDTM": result.datasets, "ADaM": adam})
    return value


def _rss_now_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _child(conn, fn) -> None:
    try:
        start = _rss_now_mib()
        t0 = time.perf_counter()
        fn()
        secs = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        conn.send((secs, max(0.0, peak - start)))
    except BaseException:
        import traceback

        conn.send(traceback.format_exc())
    finally:
        conn.close()


def measure(fn) -> tuple[float, float]:
    """(seconds, peak RSS growth in MiB) of ``fn()`` run in a forked child."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn))
    proc.start()
    child.close()
    try:
        result = parent.recv()
    except EOFError:
        result = f"the measuring process died (exit code {proc.join() or proc.exitcode})"
    proc.join()
    if isinstance(result, str):
        raise RuntimeError(result)
    return result


def _write_xpt(folder: Path, engine: str):
    from cdisckit.formats.xpt import write_xpt
    from cdisckit.standards import dataset_spec

    def run():
        for group in _DATA["sets"].values():
            for name, df in group.items():
                write_xpt(df, folder / f"{name.lower()}.xpt", dataset_spec(name), name=name, engine=engine)

    return run


def _write_json(folder: Path, engine: str):
    from cdisckit.formats.datasetjson import write_dataset_json
    from cdisckit.standards import dataset_spec

    def run():
        for group in _DATA["sets"].values():
            for name, df in group.items():
                spec = dataset_spec(name)
                path = folder / f"{name.lower()}.json"
                write_dataset_json(
                    df, spec, path, study_oid=_DATA["study"], created="2000-01-01T00:00:00", engine=engine
                )

    return run


def _read(folder: Path, suffix: str, reader):
    def run():
        for path in sorted(folder.glob(f"*.{suffix}")):
            reader(path)

    return run


def _same(a: Path, b: Path, suffix: str) -> bool:
    files = sorted(p.name for p in a.glob(f"*.{suffix}"))
    return files == sorted(p.name for p in b.glob(f"*.{suffix}")) and all(
        (a / f).read_bytes() == (b / f).read_bytes() for f in files
    )


def _warm_up(sets: dict) -> None:
    """Load the standards' specs and the libraries once, before the forks, so no measurement pays for them."""
    import pyarrow.compute  # noqa: F401
    import pyreadstat  # noqa: F401

    from cdisckit.standards import dataset_spec

    for group in sets.values():
        for name in group:
            dataset_spec(name)


def bench(n: int, seed: int) -> dict:
    from cdisckit.formats.datasetjson import read_dataset_json
    from cdisckit.formats.xpt_read import _read_pyreadstat, read_xpt

    t0 = time.perf_counter()
    study, sets = datasets(n, seed)
    _DATA.update(study=study, sets=sets)
    rows = sum(len(df) for g in sets.values() for df in g.values())
    _warm_up(sets)
    print(f"\n{n:,} subjects: {rows:,} records in {sum(len(g) for g in sets.values())} datasets "
          f"(built or loaded in {time.perf_counter() - t0:.1f} s)", flush=True)  # fmt: skip
    print(f"  {'step':<22} {'cdisckit':>10} {'reference':>10} {'ratio':>7}   {'rows/s (cdisckit)':>18}"
          f"   {'peak RSS +MiB':>16}   same bytes")  # fmt: skip
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        mine, ref = Path(tmp) / "mine", Path(tmp) / "ref"
        mine.mkdir()
        ref.mkdir()
        steps = [
            ("XPT write", _write_xpt(mine, "numpy"), "pyreadstat", _write_xpt(ref, "pyreadstat"), "xpt"),
            ("XPT read", _read(ref, "xpt", read_xpt), "pyreadstat", _read(ref, "xpt", _read_pyreadstat), None),
            ("Dataset-JSON write", _write_json(mine, "arrow"), "json.dumps", _write_json(ref, "json"), "json"),
            ("Dataset-JSON read", _read(ref, "json", read_dataset_json), "", None, None),
        ]
        for label, fn, ref_name, ref_fn, suffix in steps:
            secs, mem = measure(fn)
            ref_secs, ref_mem = measure(ref_fn) if ref_fn is not None else (float("nan"), float("nan"))
            same = _same(mine, ref, suffix) if suffix else "-"
            ratio = ref_secs / secs if ref_fn is not None else float("nan")
            results[label] = (secs, ref_secs, ratio, mem, ref_mem)
            ref_text = f"{ref_secs:9.2f}s" if ref_fn is not None else f"{'':>10}"
            ratio_text = f"{ratio:6.1f}x" if ref_fn is not None else f"{'':>7}"
            mem_text = f"{mem:7.0f} / {ref_mem:<6.0f}" if ref_fn is not None else f"{mem:7.0f}{'':9}"
            print(f"  {label:<22} {secs:9.2f}s {ref_text} {ratio_text}   {rows / secs:>18,.0f}   {mem_text}   {same}"
                  f"   (reference: {ref_name or '-'})", flush=True)  # fmt: skip
        total = sum(results[k][0] for k in ("XPT write", "Dataset-JSON write"))
        ref_total = sum(results[k][1] for k in ("XPT write", "Dataset-JSON write"))
        print(f"  {'write both formats':<22} {total:9.2f}s {ref_total:9.2f}s {ref_total / total:6.1f}x"
              f"   (the old writer forked one process per core: at best {ref_total / 2:.2f}s on 2 cores)")  # fmt: skip
    return results


if __name__ == "__main__":
    args = sys.argv[1:]
    seed = 31
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i : i + 2]
    for size in [int(a) for a in args] or [1000, 10000]:
        bench(size, seed)
