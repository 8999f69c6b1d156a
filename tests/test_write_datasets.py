"""Writing a stage: the bundled run's files are the reference writers' bytes; a writer error stops the stage."""

from __future__ import annotations

import pandas as pd
import pytest

import cdisckit.pipeline as pipeline
from cdisckit.errors import InputError
from cdisckit.formats.datasetjson import write_dataset_json
from cdisckit.formats.xpt import write_xpt
from cdisckit.standards import dataset_spec


def _study(n=50):
    ids = [f"S-{i:03d}" for i in range(n)]
    dm = pd.DataFrame(
        {"STUDYID": ["S"] * n, "DOMAIN": ["DM"] * n, "USUBJID": ids, "AGE": [float(40 + i % 30) for i in range(n)]}
    )
    ae = pd.DataFrame(
        {
            "STUDYID": ["S"] * n,
            "DOMAIN": ["AE"] * n,
            "USUBJID": ids,
            "AESEQ": [1.0] * n,
            "AETERM": ["Pyrexia"] * n,
            "AESTDTC": ["2025-03"] * n,
        }
    )
    return {"DM": dm, "AE": ae}


def test_write_datasets_lists_what_it_wrote(tmp_path):
    written = pipeline.write_datasets(_study(), tmp_path, "sdtm", study_id="S")
    assert [p.name for p in written] == ["ae.xpt", "ae.json", "dm.xpt", "dm.json"]
    assert all(p.exists() for p in written)


def test_error_in_a_writer_leaves_no_output(tmp_path):
    study = _study()
    study["AE"].loc[7, "AETERM"] = "x" * 201
    with pytest.raises(InputError) as err:
        pipeline.write_datasets(study, tmp_path, "sdtm", study_id="S")
    assert "row 8" in str(err.value) and "AETERM" in str(err.value)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def bundled_datasets():
    """The SDTM and ADaM datasets of the bundled study, derived as `cdisckit run` derives them."""
    from cdisckit.adam import adam_specs, derive_adam, load_params
    from cdisckit.sdtm import map_study

    study = pipeline.bundled_study_dir()
    result = map_study(study)
    params = load_params(None, study_dir=study)
    adam = derive_adam(result.datasets, params)
    return pipeline.study_id_of(result.study), {"sdtm": result.datasets, "adam": adam}, adam_specs(params)


def test_bundled_run_files_are_the_reference_writers_bytes(bundled_run, bundled_datasets, tmp_path):
    """Every .xpt and .json of `cdisckit run` equals pyreadstat's write_xport and the json.dumps writer."""
    out, _ = bundled_run
    study_id, stages, study_specs = bundled_datasets
    checked = 0
    for stage, datasets in stages.items():
        assert sorted(p.stem.upper() for p in (out / stage).glob("*.xpt")) == sorted(datasets)
        for name, df in sorted(datasets.items()):
            spec = study_specs.get(name) or dataset_spec(name)  # ADaM: + the study-declared variables
            xpt = write_xpt(df, tmp_path / f"{name}.xpt", spec, name=name, engine="pyreadstat")
            assert (out / stage / f"{name.lower()}.xpt").read_bytes() == xpt.read_bytes(), name
            js = write_dataset_json(
                df,
                spec,
                tmp_path / f"{name}.json",
                study_oid=study_id,
                created=pipeline.creation_datetime(stages["sdtm"]),
                engine="json",
            )
            assert (out / stage / f"{name.lower()}.json").read_bytes() == js.read_bytes(), name
            checked += 1
    assert checked == len(stages["sdtm"]) + len(stages["adam"]) >= 15


def test_bundled_run_files_read_as_pyreadstat_reads_them(bundled_run):
    from cdisckit.formats.xpt_read import read_xpt

    out, _ = bundled_run
    paths = sorted(out.glob("*/*.xpt"))
    assert len(paths) >= 15
    for path in paths:
        mine, theirs = read_xpt(path), read_xpt(path, engine="pyreadstat")
        pd.testing.assert_frame_equal(mine, theirs)
        assert mine.attrs == theirs.attrs
