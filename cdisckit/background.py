"""One step of a run done beside the next one, on the second core.

A run's writers need only what the previous stage produced, and the next stage does not wait for their files:
while the ADaM derive runs, the SDTM checks and writers can run in a forked process; while the report is drawn,
the ADaM writers can. :func:`beside` starts such a step and returns a handle whose :meth:`Step.result` waits for
it and returns its value or raises its exception in the caller, as if the step had run there. The step writes
only files (into the run's staging folder) and returns a small result, so the fork shares the datasets with the
main process without copying them (text columns are arrow buffers that neither side writes to).

The step runs in the caller instead (at once, same result) where there is no ``fork`` (Windows, and macOS where
forking a process that has threads is unsafe), on one CPU, and unless ``CDISCKIT_JOBS=2`` is set: the fork's own
working memory comes on top of the main process's (at 10,000 subjects the summed memory of both was 2.0 GB against
1.16 GB in one process, for 36 -> 33 s), so one process is the default.
Outputs do not depend on where the step ran.

>>> with beside(sum, [1, 2, 3]) as step:  # here, or forked with CDISCKIT_JOBS=2
...     step.result()
6
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

JOBS_VARIABLE = "CDISCKIT_JOBS"


def jobs_requested() -> int:
    """``CDISCKIT_JOBS`` as a number (1 when unset or not a whole number >= 1)."""
    jobs = os.environ.get(JOBS_VARIABLE, "").strip()
    return int(jobs) if jobs.isdigit() and int(jobs) >= 1 else 1


def usable_cpus() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def background_enabled() -> bool:
    """Whether :func:`beside` may fork: ``CDISCKIT_JOBS=2`` (or more), Linux-like ``fork``, two or more CPUs."""
    if jobs_requested() < 2:
        return False
    if sys.platform in ("win32", "darwin") or "fork" not in multiprocessing.get_all_start_methods():
        return False
    return usable_cpus() > 1


class StepFailed(RuntimeError):
    """A background step raised an exception that could not be sent back as itself (its traceback is the text)."""


class Step:
    """A step started by :func:`beside`: :meth:`result` returns its value or raises its exception."""

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, background: bool):
        self.pid: int | None = None
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None
        if background:
            self._fork(fn, args, kwargs)
        else:
            self._run_here(fn, args, kwargs)

    def _run_here(self, fn, args, kwargs) -> None:
        try:
            self._value = fn(*args, **kwargs)
        except Exception as exc:  # raised by result(), where the caller expects it
            self._error = exc
        self._done = True

    def _fork(self, fn, args, kwargs) -> None:
        # no signal handler may run between the fork and the child's own handlers (the CLI's SIGTERM handler
        # raises KeyboardInterrupt, which would unwind the child into the caller's code)
        stop = {signal.SIGINT, signal.SIGTERM}
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, stop)
        read, write = os.pipe()
        try:
            pid = os.fork()
            if pid == 0:  # the child never returns from here
                os.close(read)
                _child(write, fn, args, kwargs, blocked)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        os.close(write)
        self.pid, self._read = pid, read

    def result(self) -> Any:
        """Wait for the step; its return value, or its exception raised here."""
        if not self._done:
            self._wait()
        if self._error is not None:
            raise self._error
        return self._value

    def _wait(self) -> None:
        assert self.pid is not None
        with os.fdopen(self._read, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self._done = True
        try:
            ok, payload = pickle.loads(data)
        except Exception:  # nothing (or half) was sent: the process was killed, or ran out of memory
            ok, payload = False, StepFailed(f"background step ended with {_ended(status)} and no result")
        if ok:
            self._value = payload
        else:
            self._error = payload

    def cancel(self) -> None:
        """Stop the step if it still runs (the caller failed: its staging folder is about to be removed)."""
        if self.pid is not None and not self._done:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            os.close(self._read)
            self._done = True


def _ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


def _child(write: int, fn, args, kwargs, mask) -> None:
    """The forked process: run ``fn``, send (ok, value or exception) through ``write``, exit without cleanup."""
    code = 1
    try:
        # Ctrl-C reaches the whole process group: the main process handles it and stops this one
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        # the main process keeps the other core busy: the step writes its files on one thread (less memory)
        os.environ.setdefault("CDISCKIT_THREADS", "1")
        try:
            message = (True, fn(*args, **kwargs))
        except BaseException as exc:  # everything goes back to the parent, which raises it
            message = (False, exc)
        try:
            data = pickle.dumps(message)
            pickle.loads(data)  # what does not come back as itself (an exception class with other arguments) ...
        except Exception:  # ... comes back as its traceback, as text
            data = pickle.dumps((False, StepFailed("".join(traceback.format_exception(message[1])))))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
        code = 0
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


class beside:  # noqa: N801 - used as a context manager, like open()
    """``with beside(fn, *args, **kwargs) as step: ...; step.result()``: run ``fn`` in a forked process (or here,
    see :func:`background_enabled`). Leaving the block by an exception stops the step."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any):
        self.step = Step(fn, args, kwargs, background_enabled())

    def __enter__(self) -> Step:
        return self.step

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.step.cancel()
