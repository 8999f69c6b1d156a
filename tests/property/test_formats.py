"""Property tests of the XPT v5 and Dataset-JSON formats on generated frames (hypothesis).

* XPT: cdisckit's numpy writer writes pyreadstat's ``write_xport`` bytes; what it writes reads back through
  cdisckit's reader and through pyreadstat as the same frame, equal to the frame written: text exactly (trailing
  blanks dropped, blank = missing), numbers exactly for magnitudes in [16**-65, 2**249) (smaller ones become 0,
  larger ones +-infinity: IBM/360 doubles cannot hold them), dates exactly, datetimes to 2 microseconds (they
  travel as float64 seconds since 1960).
* Dataset-JSON: the column-built writer writes the json.dumps writer's bytes and reads back as the frame
  (datetimes to the microsecond, the precision written).
* Damaged files: a cut XPT is refused unless what is left is itself a valid XPT of the first rows (a cut at an
  observation boundary that is also an 80-byte boundary: XPT v5 stores no count); a changed byte in a header
  record or in a NAMESTR type, number, length or position is refused; a cut Dataset-JSON is refused.
"""

from __future__ import annotations

import json
import os
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdisckit.errors import InputError
from cdisckit.formats.datasetjson import read_dataset_json, write_dataset_json
from cdisckit.formats.xpt import read_xpt, write_xpt
from cdisckit.formats.xpt_read import verify_xpt
from cdisckit.standards import DatasetSpec, VariableSpec

# 40 examples per property keeps CI short; CDISCKIT_PROPERTY_EXAMPLES=1000 for a deeper search
SETTINGS = settings(
    max_examples=int(os.environ.get("CDISCKIT_PROPERTY_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

NAMES = st.from_regex(r"[A-Z_][A-Z0-9_]{0,7}", fullmatch=True).filter(
    lambda n: n not in {"_N_", "_ERROR_", "_ALL_"} and not n.endswith("DTM")
)
SPECIAL = [0.0, -0.0, 5e-324, 2.0**-260, 2.0**-261, 1e-300, 2.0**248, 2.0**249, 1e300, -1e300, np.inf, -np.inf, np.nan]
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(SPECIAL), st.integers(-(10**6), 10**6).map(float)
)
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\0"), max_size=12).filter(
    lambda t: len(t.encode()) <= 200
)
WHEN = st.datetimes(min_value=datetime(1700, 1, 1), max_value=datetime(2250, 12, 31))
ASCII_LABEL = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@st.composite
def frames(draw, json_kinds=False):
    """A frame of 0-12 rows and 1-6 columns of text, numbers, dates and datetimes (at least one non-text)."""
    n = draw(st.integers(0, 12))
    names = draw(st.lists(NAMES, min_size=1, max_size=6, unique_by=str.upper))
    kinds = draw(
        st.lists(st.sampled_from(["char", "num", "date", "datetime"]), min_size=len(names), max_size=len(names))
    )
    if "char" not in kinds[1:] and len(kinds) > 1:
        kinds[0] = "char"
    if all(k == "char" for k in kinds):
        kinds.append("num")
        names.append(draw(NAMES.filter(lambda x: x.upper() not in {m.upper() for m in names})))
    cols: dict[str, object] = {}
    for name, kind in zip(names, kinds):
        if kind == "char":
            cols[name] = pd.Series(draw(st.lists(st.none() | TEXT, min_size=n, max_size=n)), dtype=object)
        elif kind == "num":
            values = draw(st.lists(NUMBERS, min_size=n, max_size=n))
            if json_kinds:
                values = [v if np.isfinite(v) else np.nan for v in values]
            cols[name] = pd.Series(values, dtype="float64")
        else:
            when = draw(
                st.lists(
                    st.none()
                    | (st.dates(datetime(1700, 1, 1).date(), datetime(2250, 1, 1).date()) if kind == "date" else WHEN),
                    min_size=n,
                    max_size=n,
                )
            )
            cols[name] = pd.Series(pd.to_datetime(pd.Series(when, dtype=object)), dtype="datetime64[ns]")
    return pd.DataFrame(cols)


def _spec(df: pd.DataFrame, labels: list[str], label: str) -> DatasetSpec:
    variables = tuple(VariableSpec(c, lab, "Char", "Perm", i) for i, (c, lab) in enumerate(zip(df.columns, labels)))
    return DatasetSpec("X", label, "", "", "", (), variables)


def _expected_xpt(df: pd.DataFrame) -> pd.DataFrame:
    """The frame as XPT v5 gives it back."""
    out = {}
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s
        elif pd.api.types.is_float_dtype(s):
            v = s.to_numpy().copy()
            v[np.abs(v) < 2.0**-260] = 0.0
            v[np.abs(v) >= 2.0**249] = np.copysign(np.inf, v[np.abs(v) >= 2.0**249])
            out[c] = pd.Series(v + 0.0, dtype="float64")  # + 0.0: no negative zero
        else:
            out[c] = pd.Series([None if t is None or not t.rstrip(" ") else t.rstrip(" ") for t in s], dtype=object)
    return pd.DataFrame(out)


def _assert_xpt_frames_equal(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns) and len(got) == len(want)
    for c in want.columns:
        g, w = got[c], want[c]
        if pd.api.types.is_datetime64_any_dtype(w):
            assert pd.api.types.is_datetime64_any_dtype(g), c
            assert (g.isna() == w.isna()).all(), c
            diff = (g[w.notna()] - w[w.notna()]).abs()
            assert (diff <= pd.Timedelta(microseconds=2)).all(), (c, diff.max())
        elif pd.api.types.is_float_dtype(w):
            np.testing.assert_array_equal(g.to_numpy(), w.to_numpy(), err_msg=c)
        else:
            assert g.tolist() == w.tolist(), c


@SETTINGS
@given(df=frames(), labels=st.lists(st.text(max_size=45), min_size=6, max_size=7), label=st.text(max_size=45))
def test_xpt_writer_writes_pyreadstats_bytes(tmp_path, df, labels, label):
    spec = _spec(df, labels, label)
    a = write_xpt(df, tmp_path / "a.xpt", spec, name="X")
    b = write_xpt(df, tmp_path / "b.xpt", spec, name="X", engine="pyreadstat")
    assert a.read_bytes() == b.read_bytes()


@SETTINGS
@given(df=frames(), labels=st.lists(ASCII_LABEL, min_size=7, max_size=7), label=ASCII_LABEL)
def test_xpt_round_trip_through_both_readers(tmp_path, df, labels, label):
    path = write_xpt(df, tmp_path / "x.xpt", _spec(df, labels, label), name="X")
    mine = read_xpt(path)
    theirs = read_xpt(path, engine="pyreadstat")
    pd.testing.assert_frame_equal(mine, theirs)
    assert mine.attrs == theirs.attrs
    assert mine.attrs["label"] == label.rstrip(" ")
    assert mine.attrs["column_labels"] == {c: (lab.rstrip(" ") or None) for c, lab in zip(df.columns, labels)}
    _assert_xpt_frames_equal(mine, _expected_xpt(df))


@SETTINGS
@given(df=frames(), data=st.data())
def test_cut_xpt_is_refused_or_a_valid_file_of_its_first_rows(tmp_path, df, data):
    raw = write_xpt(df, tmp_path / "x.xpt", None, name="X").read_bytes()
    cut = data.draw(st.integers(0, len(raw) - 1), label="cut")
    bad = tmp_path / "bad.xpt"
    bad.write_bytes(raw[:cut])
    try:
        got = read_xpt(bad)
    except InputError as err:
        assert str(err).startswith(str(bad))
        return
    layout = verify_xpt(np.frombuffer(raw, dtype=np.uint8), tmp_path / "x.xpt")
    m = len(got)
    assert cut % 80 == 0 and cut >= layout.data_start and m < len(df)
    assert 0 <= cut - layout.data_start - m * layout.row_len < 80  # m whole observations, then blank padding
    pd.testing.assert_frame_equal(got, read_xpt(tmp_path / "x.xpt").iloc[:m])


def _structural_offsets(raw: bytes, nvars: int) -> list[int]:
    """Bytes whose change a reader must notice: header record prefixes, counts, NAMESTR type/number/position."""
    obs = raw.index(b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!")
    offsets = [i for r in (0, 3, 4, 7) for i in range(r * 80, r * 80 + 48)]
    offsets += list(range(80, 104)) + list(range(400, 408)) + list(range(416, 424))
    offsets += list(range(560 + 48, 560 + 78)) + list(range(240 + 48, 240 + 78)) + list(range(obs, obs + 48))
    for k in range(nvars):
        base = 640 + 140 * k
        offsets += [base]  # high byte of the type
        offsets += [base + 6, base + 7] + list(range(base + 84, base + 88))  # number, position
        if k < nvars - 1:
            offsets += [base + 4, base + 5]  # length (changes every later position)
    return offsets


@SETTINGS
@given(df=frames(), data=st.data())
def test_xpt_with_a_changed_header_byte_is_refused(tmp_path, df, data):
    raw = bytearray(write_xpt(df, tmp_path / "x.xpt", None, name="X").read_bytes())
    at = data.draw(st.sampled_from(_structural_offsets(bytes(raw), len(df.columns))), label="offset")
    raw[at] ^= data.draw(st.integers(1, 255), label="xor")
    bad = tmp_path / "bad.xpt"
    bad.write_bytes(bytes(raw))
    with pytest.raises(InputError):
        read_xpt(bad)


def _expected_json(df: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.floor("us")
        elif pd.api.types.is_float_dtype(s):
            out[c] = s
        else:
            out[c] = pd.Series([None if v in (None, "", " ") else v for v in s], dtype=object)
    return pd.DataFrame(out)


@SETTINGS
@given(df=frames(json_kinds=True), flags=st.lists(st.none() | st.booleans(), max_size=12))
def test_dataset_json_writers_agree_and_round_trip(tmp_path, df, flags):
    if len(flags) >= len(df):
        df["FLAGXX"] = pd.array(flags[: len(df)], dtype="boolean")
    a = write_dataset_json(df, None, tmp_path / "a.json", study_oid="S", name="X")
    b = write_dataset_json(df, None, tmp_path / "b.json", study_oid="S", name="X", engine="json")
    assert a.read_bytes() == b.read_bytes()
    back = read_dataset_json(a)
    want = _expected_json(df.drop(columns=["FLAGXX"], errors="ignore"))
    for c in want.columns:
        if pd.api.types.is_datetime64_any_dtype(want[c]):
            pd.testing.assert_series_equal(back[c], want[c].astype("datetime64[ns]"), check_names=False)
        elif pd.api.types.is_float_dtype(want[c]):
            np.testing.assert_array_equal(back[c].to_numpy(), want[c].to_numpy())
        else:
            assert back[c].tolist() == want[c].tolist()
    if "FLAGXX" in df:
        assert back["FLAGXX"].tolist() == [None if pd.isna(v) else bool(v) for v in df["FLAGXX"]]


@SETTINGS
@given(df=frames(json_kinds=True), data=st.data())
def test_cut_dataset_json_is_refused(tmp_path, df, data):
    raw = write_dataset_json(df, None, tmp_path / "a.json", study_oid="S", name="X").read_bytes()
    cut = data.draw(st.integers(0, raw.rindex(b"}")), label="cut")
    bad = tmp_path / "bad.json"
    bad.write_bytes(raw[:cut])
    with pytest.raises(InputError, match="not valid JSON"):
        read_dataset_json(bad)
    assert json.loads(raw)["records"] == len(df)


def _arrow_backed(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with its text columns in pandas' arrow-backed ``str`` dtype (as the pipeline holds them)."""
    return df.astype({c: "str" for c in df.columns if df[c].dtype == object})


@SETTINGS
@given(df=frames(), rows=st.integers(1, 5), arrow=st.booleans())
def test_xpt_bytes_do_not_depend_on_the_block_size_or_the_text_storage(tmp_path, df, rows, arrow):
    """The writer encodes the rows block by block from the columns' own arrays: any block size, object or
    arrow-backed text, the bytes are pyreadstat's."""
    from unittest import mock

    import cdisckit.formats.xpt as xpt

    want = write_xpt(df, tmp_path / "ref.xpt", None, name="X", engine="pyreadstat").read_bytes()
    data = _arrow_backed(df) if arrow else df
    row_len = sum(8 if data[c].dtype != object and str(data[c].dtype) != "str" else 1 for c in data.columns)
    with mock.patch.object(xpt, "_BLOCK_BYTES", rows * row_len):
        got = write_xpt(data, tmp_path / "x.xpt", None, name="X").read_bytes()
    assert got == want


@SETTINGS
@given(df=frames(json_kinds=True), rows=st.integers(1, 5), arrow=st.booleans())
def test_dataset_json_bytes_do_not_depend_on_the_block_size_or_the_text_storage(tmp_path, df, rows, arrow):
    from unittest import mock

    import cdisckit.formats.datasetjson as dj

    want = write_dataset_json(df, None, tmp_path / "ref.json", study_oid="S", name="X", engine="json").read_bytes()
    data = _arrow_backed(df) if arrow else df
    with mock.patch.object(dj, "_BLOCK_ROWS", rows):
        got = write_dataset_json(data, None, tmp_path / "x.json", study_oid="S", name="X").read_bytes()
    assert got == want
