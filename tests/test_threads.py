"""Steps on two threads: results and errors as on one thread; the files written are the same bytes."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

import cdisckit.pipeline as pipeline
from cdisckit.errors import InputError
from cdisckit.io import read_folder
from cdisckit.threads import run_steps, thread_count


@pytest.fixture(params=["1", "2"], ids=["one-thread", "two-threads"])
def threads(request, monkeypatch):
    monkeypatch.setenv("CDISCKIT_THREADS", request.param)
    return int(request.param)


def test_thread_count_from_the_environment(monkeypatch):
    monkeypatch.setenv("CDISCKIT_THREADS", "3")
    assert thread_count() == 3
    monkeypatch.setenv("CDISCKIT_THREADS", "zero")  # unusable: as unset
    monkeypatch.delenv("CDISCKIT_JOBS", raising=False)
    monkeypatch.setattr("cdisckit.background.usable_cpus", lambda: 8)
    assert thread_count() == 2  # the default: two threads where there are two CPUs or more
    monkeypatch.setattr("cdisckit.background.usable_cpus", lambda: 1)
    assert thread_count() == 1  # one on a one-CPU machine
    monkeypatch.setattr("cdisckit.background.usable_cpus", lambda: 8)
    monkeypatch.setenv("CDISCKIT_JOBS", "1")  # one CPU for the whole run: one thread
    assert thread_count() == 1
    monkeypatch.setenv("CDISCKIT_JOBS", "2")
    assert thread_count() == 2


def test_results_come_back_in_step_order(threads):
    def slow(x):
        time.sleep(0.05 if x == 0 else 0)
        return x * 10

    steps = [lambda i=i: slow(i) for i in range(5)]
    assert run_steps(steps, start_first=[4, 3]) == [0, 10, 20, 30, 40]


def test_two_threads_run_at_once(monkeypatch):
    monkeypatch.setenv("CDISCKIT_THREADS", "2")
    both = threading.Barrier(2, timeout=5)  # broken (an error) if the second step never runs beside the first
    names = run_steps([lambda: (both.wait(), threading.current_thread().name)[1]] * 2)
    assert len(set(names)) == 2 and all(n.startswith("cdisckit") for n in names)


def test_first_failure_in_step_order_is_raised(threads):
    """The later step fails first in time; the error raised is the earlier step's, as on one thread."""
    ran = []

    def late_failure():
        time.sleep(0.1)
        ran.append("first")
        raise InputError("first step failed", file="a.xpt")

    def early_failure():
        ran.append("second")
        raise InputError("second step failed", file="b.xpt")

    with pytest.raises(InputError, match="first step failed"):
        run_steps([late_failure, early_failure, lambda: ran.append("third")], start_first=[1])
    if threads == 1:
        assert ran == ["first"]  # stops at the failure
    else:  # both failing steps ran; the one started first failed first, and its error is not the one raised
        assert ran[0] == "second" and "first" in ran


def _datasets(n=400):
    ids = [f"S-{i:04d}" for i in range(n)]
    return {
        "DM": pd.DataFrame({"STUDYID": "S", "DOMAIN": "DM", "USUBJID": ids, "AGE": [float(20 + i % 60) for i in range(n)]}),
        "AE": pd.DataFrame(
            {
                "STUDYID": "S",
                "DOMAIN": "AE",
                "USUBJID": ids,
                "AESEQ": 1.0,
                "AETERM": [f"Term {i % 17} é" for i in range(n)],
                "AESTDTC": [f"2025-03-{1 + i % 28:02d}" for i in range(n)],
            }
        ),
        "VS": pd.DataFrame(
            {"STUDYID": "S", "DOMAIN": "VS", "USUBJID": ids * 3, "VSSEQ": [float(i) for i in range(3 * n)],
             "VSTESTCD": "PULSE", "VSSTRESN": [60.5 + i % 40 for i in range(3 * n)]}
        ),
    }  # fmt: skip


def test_write_datasets_same_bytes_on_one_and_two_threads(tmp_path, monkeypatch):
    out = {}
    for t in ("1", "2"):
        monkeypatch.setenv("CDISCKIT_THREADS", t)
        written = pipeline.write_datasets(
            _datasets(), tmp_path / t, "sdtm", study_id="S", define_standard="SDTMIG", created="2025-01-01T00:00:00"
        )
        out[t] = {p.name: p.read_bytes() for p in written}
    assert sorted(out["1"]) == [
        "ae.json",
        "ae.xpt",
        "define.html",
        "define.xml",
        "dm.json",
        "dm.xpt",
        "vs.json",
        "vs.xpt",
    ]
    assert out["1"] == out["2"]
    assert read_folder(tmp_path / "2" / "sdtm")["AE"]["AETERM"].iloc[18] == "Term 1 é"


def test_writer_error_on_two_threads_names_the_row_and_leaves_nothing(tmp_path, threads):
    study = _datasets()
    study["AE"].loc[7, "AETERM"] = "x" * 201
    with pytest.raises(InputError) as err:
        pipeline.write_datasets(study, tmp_path, "sdtm", study_id="S", define_standard="SDTMIG")
    assert "row 8" in str(err.value) and "AETERM" in str(err.value)
    assert list(tmp_path.iterdir()) == []
