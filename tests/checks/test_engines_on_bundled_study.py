"""Both engines on the bundled study's real output, clean and with defects injected: identical findings."""

from __future__ import annotations

import pytest

from cdisckit.adam import adam_specs, load_params
from cdisckit.checks import run_checks
from cdisckit.io import read_folder
from cdisckit.pipeline import bundled_study_dir


def _identities(report):
    return [(f.rule_id, f.severity, f.dataset, f.variable, tuple(f.rows)) for f in report.findings]


@pytest.mark.gx
def test_engines_agree_on_bundled_sdtm_clean_and_broken(bundled_run):
    out, _ = bundled_run
    sdtm = read_folder(out / "sdtm")
    clean_native = run_checks(sdtm, standard="sdtmig-3.4")
    assert not clean_native.has_errors
    assert _identities(clean_native) == _identities(run_checks(sdtm, standard="sdtmig-3.4", engine="gx"))

    broken = {k: v.copy() for k, v in sdtm.items()}
    broken["DM"].loc[3, "SEX"] = "MALE"  # not in non-extensible SEX
    broken["AE"].loc[5, "AESTDTC"] = "2025-02-30T25:00"  # not ISO 8601
    broken["AE"].loc[7, "AESEQ"] = (
        broken["AE"].loc[6, "AESEQ"]
        if broken["AE"].loc[6, "USUBJID"] == broken["AE"].loc[7, "USUBJID"]
        else broken["AE"].loc[7, "AESEQ"]
    )
    broken["TR"].loc[0, "TRLNKID"] = "T99"  # no such lesion in TU
    broken["EX"] = broken["EX"].drop(columns=["EXTRT"])  # required variable missing
    native = run_checks(broken, standard="sdtmig-3.4")
    gx = run_checks(broken, standard="sdtmig-3.4", engine="gx")
    assert _identities(native) == _identities(gx)
    found = {(f.rule_id, f.dataset, f.variable): f.rows for f in native.findings}
    assert found[("CT-NONEXT", "DM", "SEX")] == [3]
    assert 5 in found[("DTC-ISO8601", "AE", "AESTDTC")]
    assert ("REQ-VAR-MISSING", "EX", "EXTRT") in found
    assert 0 in found[("TR-TU-LINK", "TR", "TRLNKID")]


@pytest.mark.gx
def test_engines_agree_on_bundled_adam(bundled_run):
    out, _ = bundled_run
    adam = read_folder(out / "adam")
    # as pipeline.adam_stage does: the ADaM specs plus the study-declared variables (e.g. ADAE ARELLD)
    params = load_params(study_dir=bundled_study_dir())
    specs = {k: v for k, v in adam_specs(params).items() if k in adam}
    native = run_checks(adam, standard="adamig-1.3", specs=specs)
    assert not native.has_errors, [f for f in native.findings if f.severity == "error"]
    bare = run_checks(adam, standard="adamig-1.3")  # without the study's declarations ARELLD is unknown
    assert ("VAR-NOT-IN-STANDARD", "ADAE", "ARELLD") in {(f.rule_id, f.dataset, f.variable) for f in bare.findings}
    broken = {k: v.copy() for k, v in adam.items()}
    broken["ADTTE"].loc[0, "CNSR"] = 0
    broken["ADTTE"].loc[0, "EVNTDESC"] = None
    broken["ADSL"] = broken["ADSL"].assign(SAFFL=broken["ADSL"]["SAFFL"].where(broken["ADSL"].index != 2, "X"))
    n = run_checks(broken, standard="adamig-1.3", specs=specs)
    g = run_checks(broken, standard="adamig-1.3", engine="gx", specs=specs)
    assert _identities(n) == _identities(g)
    found = {(f.rule_id, f.dataset, f.variable): f.rows for f in n.findings}
    assert 0 in found[("CNSR-EVNTDESC", "ADTTE", "EVNTDESC")]
    assert found[("VALUE-LIST", "ADSL", "SAFFL")] == [2]  # ADaMIG allows Y or N
