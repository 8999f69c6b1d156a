"""cdisckit.background: a step run beside the next one returns its value or raises its error in the caller."""

from __future__ import annotations

import os
import time

import pytest

from cdisckit import background
from cdisckit.background import StepFailed, beside
from cdisckit.errors import ChecksFailed


@pytest.fixture
def jobs2(monkeypatch):
    """CDISCKIT_JOBS=2: steps fork (skipped where they cannot: no fork, or one CPU)."""
    monkeypatch.setenv("CDISCKIT_JOBS", "2")
    if not background.background_enabled():
        pytest.skip("no fork or one CPU: steps run in the caller")


forks = pytest.mark.usefixtures("jobs2")


def _pid_and(x):
    return os.getpid(), x * 2


def _fail_checks():
    exc = ChecksFailed("3 conformance error(s) in SDTM", file="out/checks/sdtm.html")
    exc.keep = ["checks"]  # type: ignore[attr-defined]
    raise exc


class _Unpicklable(Exception):
    def __init__(self, a, b):  # pickle re-creates an exception from its args: (a, b) -> one arg only here
        super().__init__(f"{a}+{b}")


def _fail_unpicklable():
    raise _Unpicklable(1, 2)


@forks
def test_a_step_runs_in_another_process_and_returns_its_value():
    with beside(_pid_and, 21) as step:
        pid, value = step.result()
    assert value == 42
    assert pid != os.getpid()


@forks
def test_a_forked_step_writes_its_files_on_one_thread(monkeypatch):
    """The main process keeps the other core busy: two writer threads in the step would only add memory."""
    from cdisckit.threads import thread_count

    monkeypatch.delenv("CDISCKIT_THREADS", raising=False)
    with beside(thread_count) as step:
        assert step.result() == 1
    assert "CDISCKIT_THREADS" not in os.environ  # the caller's environment is its own


@pytest.mark.parametrize("jobs", ["1", "", "x"])
def test_without_cdisckit_jobs_2_the_step_runs_in_the_caller(monkeypatch, jobs):
    monkeypatch.setenv("CDISCKIT_JOBS", jobs)
    assert not background.background_enabled()
    with beside(_pid_and, 5) as step:
        assert step.result() == (os.getpid(), 10)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_steps_error_is_raised_in_the_caller_with_its_type_and_attributes(monkeypatch, jobs):
    monkeypatch.setenv("CDISCKIT_JOBS", jobs)
    with beside(_fail_checks) as step, pytest.raises(ChecksFailed) as err:
        step.result()
    assert str(err.value) == "out/checks/sdtm.html: 3 conformance error(s) in SDTM"
    assert err.value.keep == ["checks"]  # what the transaction keeps in <out>-failed/
    assert err.value.exit_code == 1


@forks
def test_an_error_that_cannot_be_sent_back_arrives_as_its_traceback():
    with beside(_fail_unpicklable) as step, pytest.raises(StepFailed, match=r"_Unpicklable: 1\+2"):
        step.result()


def _write_then_sleep(path):
    path.write_text("started")
    time.sleep(30)
    path.write_text("finished")


@forks
def test_leaving_the_block_by_an_error_stops_the_step(tmp_path):
    marker = tmp_path / "step.txt"
    t0 = time.monotonic()
    with pytest.raises(KeyError), beside(_write_then_sleep, marker) as step:
        while not marker.exists():
            time.sleep(0.01)
        raise KeyError("the main line failed")
    assert time.monotonic() - t0 < 10  # not the step's 30 s
    assert step.pid is not None and not os.path.exists(f"/proc/{step.pid}")
    assert marker.read_text() == "started"


@forks
def test_a_run_with_steps_beside_writes_the_same_bytes_as_in_one_process(bundled_run, tmp_path, monkeypatch):
    """``cdisckit run`` on the bundled study with CDISCKIT_JOBS=2 (checks and writers forked) writes every file
    byte for byte as the default run, all in one process (``bundled_run``)."""
    from click.testing import CliRunner

    from cdisckit.cli import main

    out, _ = bundled_run
    serial = tmp_path / "out"
    result = CliRunner().invoke(main, ["-q", "run", "--out", str(serial)])
    assert result.exit_code == 0, result.output
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(serial)) for p in serial.rglob("*") if p.is_file())
    assert {"sdtm/dm.xpt", "adam/adsl.json", "adam/define.xml", "checks/sdtm.json", "report.html"} <= set(files)
    differ = [f for f in files if (out / f).read_bytes() != (serial / f).read_bytes()]
    assert differ == []
