"""Independent steps of one stage on two threads: the XPT and Dataset-JSON files of a folder, define.xml.

The XPT and Dataset-JSON writers spend much of their time in numpy and pyarrow kernels, which release the GIL,
so a second thread uses the second core without a second process: the datasets are shared, not copied. Each
step writes its own file from data nobody changes while the steps run, so the bytes do not depend on the number
of threads or on which step finishes first.

Two threads are the default on a machine with two CPUs or more: the writers encode block by block (a few MiB
of working memory per file), so a second file written at once costs 20-40 MiB. Measured at 10,000 subjects
(SDTM and ADaM folders with define.xml, 10k synthetic seed 31): 6.4 -> 4.5 s wall for 5.9 -> 6.7 s CPU, peak
+91 -> +113..133 MiB. ``CDISCKIT_THREADS=N`` sets the number; ``CDISCKIT_JOBS=1`` (one CPU for the whole run)
means one thread. Reading a folder and the checks gained nothing on two threads (pandas holds the GIL there)
and stay on one.

Results come back in the order of the steps, and when steps fail, the error raised is that of the first failing
step in that order, whatever thread met it first: the same error as a run on one thread (steps after it may have
run or not; their files are in the staging folder that the failure removes). An unusable ``CDISCKIT_THREADS``
(not a whole number >= 1) is taken as unset.

>>> run_steps([lambda: 1 + 1, lambda: "b"])
[2, 'b']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

THREADS_VARIABLE = "CDISCKIT_THREADS"
DEFAULT_THREADS = 2


def thread_count() -> int:
    """Threads for :func:`run_steps`: ``CDISCKIT_THREADS`` when set; one with ``CDISCKIT_JOBS=1``; else two on a
    machine with two CPUs or more, one otherwise."""
    text = os.environ.get(THREADS_VARIABLE, "").strip()
    if text.isdigit() and int(text) >= 1:
        return int(text)
    from .background import JOBS_VARIABLE, usable_cpus

    if os.environ.get(JOBS_VARIABLE, "").strip() == "1":
        return 1
    return max(1, min(DEFAULT_THREADS, usable_cpus()))


def run_steps(steps: Sequence[Callable[[], Any]], *, start_first: Sequence[int] = ()) -> list[Any]:
    """Run every step (no argument each) and return their results in order.

    ``start_first``: positions of steps to start before the others (the long ones, so that the two threads
    finish together); it changes when a step starts, never what it returns. Results are awaited in step order; at
    the first failure the steps not yet started are dropped (running ones end) and that failure is raised."""
    threads = thread_count()
    if threads == 1 or len(steps) < 2:
        return [step() for step in steps]
    from concurrent.futures import ThreadPoolExecutor

    first = [i for i in dict.fromkeys(start_first) if 0 <= i < len(steps)]
    order = first + [i for i in range(len(steps)) if i not in set(first)]
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="cdisckit")
    try:
        futures = {i: pool.submit(steps[i]) for i in order}
        results = [futures[i].result() for i in range(len(steps))]
    except BaseException:  # a step failed, or Ctrl-C while waiting: drop what has not started
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results
