"""define.xml origins come from what the mapping spec says about each variable."""

from cdisckit.pipeline import bundled_study_dir
from cdisckit.sdtm import load_study
from cdisckit.sdtm.origins import derive_define_origins, derive_origin


def test_origin_kinds_by_assignment():
    assert derive_origin("INVESTIGATOR", "rsp") == ("Assigned", "Set to 'INVESTIGATOR'")
    assert derive_origin({"source": ["DSREAS", "DSSTATUS"]}, "ds") == ("CRF", "ds.DSREAS else ds.DSSTATUS")
    assert derive_origin({"date": "ICDAT"}, "dm", {"ICDAT": "ic"})[1].startswith("ic.ICDAT")
    kind, text = derive_origin({"cases": [{"when": {"ELIGYN": "No"}}]}, "dm")
    assert kind == "Derived" and "ELIGYN" in text


def test_bundled_study_origins():
    origins = derive_define_origins(load_study(bundled_study_dir()))
    assert origins[("DM", "SEX")] == ("CRF", "dm.SEX, mapped with codelist map sex")
    assert origins[("DM", "RFICDTC")][1].startswith("ic.ICDAT + ic.ICTIM")
    assert origins[("DM", "RFSTDTC")][0] == "Derived"
    assert origins[("SUPPAE", "QVAL.ASTCTGR")][0] == "CRF"
