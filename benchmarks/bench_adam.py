"""Times derive_adam on SDTM-shaped frames at several study sizes; prints seconds and peak memory.

    python benchmarks/bench_adam.py              # 44, 1000, 10000 subjects
    python benchmarks/bench_adam.py 44 2000      # chosen sizes
    python benchmarks/bench_adam.py --pipeline   # SDTM from cdisckit.synth + cdisckit.sdtm.map_study
    python benchmarks/bench_adam.py --no-heap    # skip the second (tracemalloc) run that measures peak heap

Target: 10,000 subjects < 20 s. By default the SDTM is synthesised here with numpy (vectorised, seed 1):
DM, EX (6 lymphodepletion doses + infusion), AE (~8 per subject) + SUPPAE, DS, CM, TU, TR (5 target lesions,
RECIST and mRECIST measurements and sums), RS (OVRLRESP for both criteria at up to 6 visits + unscheduled).
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

VISIT_DAYS = np.array([42, 84, 126, 182, 273, 365])
RESP = np.array(["CR", "PR", "SD", "NE", "PD"])


def _dates(days: np.ndarray, base: np.datetime64) -> np.ndarray:
    return np.datetime_as_string(base + days.astype("timedelta64[D]"), unit="D").astype(object)


def synth_sdtm(n: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    study = "C-CAR031"
    ids = np.array([f"{study}-{i:05d}" for i in range(n)], dtype=object)
    inf = np.datetime64("2024-01-01") + rng.integers(0, 700, n).astype("timedelta64[D]")
    sf = rng.random(n) < 0.08
    cohort = rng.choice(["DL1", "DL2", "DL3", "LEN", "PD1"], n)
    death = np.where(rng.random(n) < 0.35, rng.integers(20, 700, n), -1)
    arm = np.where(sf, None, np.char.add("Cohort ", cohort.astype(str)).astype(object))
    dm = pd.DataFrame(
        {
            "STUDYID": study,
            "DOMAIN": "DM",
            "USUBJID": ids,
            "SUBJID": [i[-5:] for i in ids],
            "SITEID": "101",
            "RFICDTC": _dates(np.full(n, -30), inf),
            "AGE": rng.integers(25, 80, n).astype(float),
            "AGEU": "YEARS",
            "SEX": rng.choice(["M", "F"], n),
            "RACE": "ASIAN",
            "ETHNIC": "NOT REPORTED",
            "COUNTRY": "CHN",
            "ARMCD": np.where(sf, None, cohort.astype(object)),
            "ARM": arm,
            "ACTARMCD": np.where(sf, None, cohort.astype(object)),
            "ACTARM": arm,
            "ARMNRS": np.where(sf, "SCREEN FAILURE", None),
            "DTHDTC": np.where((death > 0) & ~sf, _dates(np.maximum(death, 0), inf), None),
            "DTHFL": np.where((death > 0) & ~sf, "Y", None),
        }
    )
    t = np.flatnonzero(~sf)
    # EX: 6 LD + 1 CAR-T
    ex_i = np.repeat(t, 7)
    k = np.tile(np.arange(7), len(t))
    ex_day = np.where(k < 6, -5 + k % 3, 0)
    ex = pd.DataFrame(
        {
            "STUDYID": study,
            "USUBJID": ids[ex_i],
            "EXSEQ": (k + 1).astype(float),
            "EXTRT": np.where(k < 3, "FLUDARABINE", np.where(k < 6, "CYCLOPHOSPHAMIDE", "C-CAR031")),
            "EXCAT": np.where(k < 6, "LYMPHODEPLETION", "CAR-T"),
            "EXSTDTC": _dates(ex_day, inf[ex_i]),
        }
    )
    ex["EXENDTC"] = ex["EXSTDTC"]
    # AE
    n_ae = rng.poisson(8, len(t))
    ae_i = np.repeat(t, n_ae)
    seq = np.concatenate([np.arange(1, m + 1) for m in n_ae]).astype(float) if len(n_ae) else np.array([])
    ae_day = rng.integers(-20, 420, len(ae_i))
    st = _dates(ae_day, inf[ae_i])
    partial = rng.random(len(ae_i)) < 0.05
    st = np.where(partial, np.array([s[:7] for s in st], dtype=object), st)
    pts = np.array(
        [
            "Pyrexia",
            "Cytokine release syndrome",
            "Neutropenia",
            "Anaemia",
            "Immune effector cell-associated neurotoxicity syndrome",
            "Fatigue",
        ],
        dtype=object,
    )
    dec = pts[rng.integers(0, len(pts), len(ae_i))]
    ae = pd.DataFrame(
        {
            "STUDYID": study,
            "USUBJID": ids[ae_i],
            "AESEQ": seq,
            "AETERM": dec,
            "AEDECOD": dec,
            "AEBODSYS": "SOC " + pd.Series(dec).str[:3],
            "AESTDTC": st,
            "AEENDTC": _dates(ae_day + rng.integers(1, 30, len(ae_i)), inf[ae_i]),
            "AETOXGR": rng.integers(1, 5, len(ae_i)).astype(str),
            "AEREL": "RELATED",
        }
    )
    aesi = np.isin(dec, ["Cytokine release syndrome", "Immune effector cell-associated neurotoxicity syndrome"])
    sup = pd.DataFrame({"USUBJID": ids[ae_i][aesi], "IDVARVAL": seq[aesi].astype(int).astype(str)})
    suppae = pd.concat(
        [
            sup.assign(QNAM="AESI", QVAL="Y"),
            sup.assign(QNAM="ASTCTGR", QVAL="Grade 2"),
            pd.DataFrame(
                {
                    "USUBJID": ids[ae_i],
                    "IDVARVAL": seq.astype(int).astype(str),
                    "QNAM": "AERELLD",
                    "QVAL": "NOT RELATED",
                }
            ),
        ],
        ignore_index=True,
    ).assign(STUDYID=study, RDOMAIN="AE", IDVAR="AESEQ")
    # RS: both criteria, visits until PD / death
    v_i = np.repeat(t, len(VISIT_DAYS))
    vd = np.tile(VISIT_DAYS, len(t)) + rng.integers(-7, 8, len(v_i))
    keep = (rng.random(len(v_i)) > 0.1) & ((death[v_i] < 0) | (vd < death[v_i]))
    v_i, vd = v_i[keep], vd[keep]
    rs_parts = []
    for cat in ["RECIST 1.1", "MRECIST LENCIONI LIVER CANCER 2010"]:
        r = RESP[rng.choice(5, len(v_i), p=[0.1, 0.25, 0.4, 0.05, 0.2])]
        rs_parts.append(pd.DataFrame({"USUBJID": ids[v_i], "RSCAT": cat, "RSSTRESC": r, "RSDTC": _dates(vd, inf[v_i])}))
    rs = pd.concat(rs_parts, ignore_index=True).assign(STUDYID=study, RSTESTCD="OVRLRESP", RSTEST="Overall Response")
    rs["RSORRES"] = rs["RSSTRESC"]
    rs["RSSEQ"] = rs.groupby("USUBJID").cumcount().astype(float) + 1
    # TU / TR
    tu_i = np.repeat(t, 5)
    tu = pd.DataFrame(
        {
            "STUDYID": study,
            "USUBJID": ids[tu_i],
            "TUSEQ": np.tile(np.arange(1, 6), len(t)).astype(float),
            "TULNKID": np.tile([f"T0{j}" for j in range(1, 6)], len(t)),
            "TUTESTCD": "TUMIDENT",
            "TUORRES": "TARGET",
            "TUSTRESC": "TARGET",
            "TUDTC": _dates(np.full(len(tu_i), -14), inf[tu_i]),
        }
    )
    a_i = np.concatenate([t, v_i])
    ad = np.concatenate([np.full(len(t), -14), vd])
    tr_parts = []
    for code, grp in (("DIAMETER", "RECIST"), ("VDIAM", "MRECIST")):
        les = np.repeat(a_i, 5)
        val = rng.uniform(5, 60, len(les))
        tr_parts.append(
            pd.DataFrame(
                {
                    "USUBJID": ids[les],
                    "TRTESTCD": code,
                    "TRSTRESN": val,
                    "TRDTC": _dates(np.repeat(ad, 5), inf[les]),
                    "TRLNKID": np.tile([f"T0{j}" for j in range(1, 6)], len(a_i)),
                    "TRLNKGRP": grp,
                }
            )
        )
        sums = (
            pd.DataFrame({"USUBJID": ids[les], "v": val, "d": np.repeat(np.arange(len(a_i)), 5)})
            .groupby("d")["v"]
            .sum()
        )
        tr_parts.append(
            pd.DataFrame(
                {
                    "USUBJID": ids[a_i],
                    "TRTESTCD": "SUMDIAM" if grp == "RECIST" else "SUMVDIAM",
                    "TRSTRESN": sums.to_numpy(),
                    "TRDTC": _dates(ad, inf[a_i]),
                    "TRLNKGRP": grp,
                }
            )
        )
    tr = pd.concat(tr_parts, ignore_index=True).assign(STUDYID=study)
    tr["TRSEQ"] = tr.groupby("USUBJID").cumcount().astype(float) + 1
    # DS, CM
    dead = t[death[t] > 0]
    ds = pd.DataFrame(
        {
            "STUDYID": study,
            "USUBJID": ids[dead],
            "DSCAT": "DISPOSITION EVENT",
            "DSDECOD": "DEATH",
            "DSTERM": "DEATH",
            "DSSTDTC": _dates(death[dead], inf[dead]),
        }
    )
    ds = pd.concat(
        [
            ds,
            pd.DataFrame(
                {
                    "STUDYID": study,
                    "USUBJID": ids[sf],
                    "DSCAT": "DISPOSITION EVENT",
                    "DSDECOD": "SCREEN FAILURE",
                    "DSTERM": "SCREEN FAILURE",
                    "DSSTDTC": _dates(np.full(sf.sum(), -20), inf[sf]),
                }
            ),
        ]
    )
    ds["DSSEQ"] = 1.0
    nact = t[rng.random(len(t)) < 0.2]
    cm = pd.DataFrame(
        {
            "STUDYID": study,
            "USUBJID": ids[nact],
            "CMSEQ": 1.0,
            "CMTRT": "SORAFENIB",
            "CMCAT": "NEW ANTICANCER THERAPY",
            "CMSTDTC": _dates(rng.integers(60, 400, len(nact)), inf[nact]),
        }
    )
    return {"DM": dm, "EX": ex, "AE": ae, "SUPPAE": suppae, "RS": rs, "TU": tu, "TR": tr, "DS": ds, "CM": cm}


def pipeline_sdtm(n: int) -> dict[str, pd.DataFrame]:
    """SDTM through the real mapping (needs cdisckit.synth and cdisckit.sdtm.map_study)."""
    import tempfile
    from pathlib import Path

    from cdisckit.pipeline import bundled_study_dir
    from cdisckit.sdtm import map_study
    from cdisckit.synth import write_raw_export

    with tempfile.TemporaryDirectory() as tmp:
        write_raw_export(bundled_study_dir() / "synth.yaml", Path(tmp), n, 1)
        result = map_study(bundled_study_dir(), Path(tmp))
    return result if isinstance(result, dict) else result.datasets


def main(argv: list[str]) -> None:
    from pathlib import Path

    from cdisckit.adam import derive_adam, load_params

    use_pipeline = "--pipeline" in argv
    sizes = [int(a) for a in argv if a.isdigit()] or [44, 1000, 10000]
    study = Path(__file__).resolve().parent.parent / "mappings" / "c-car031"
    params = load_params(study_dir=study)
    for n in sizes:
        sdtm = pipeline_sdtm(n) if use_pipeline else synth_sdtm(n)
        rows = sum(len(v) for v in sdtm.values())
        t0 = time.perf_counter()
        out = derive_adam(sdtm, params, warn=lambda m: None)  # timed without tracemalloc (it slows pandas 3-4x)
        secs = time.perf_counter() - t0
        peak = 0
        if "--no-heap" not in argv:
            tracemalloc.start()
            derive_adam(sdtm, params, warn=lambda m: None)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        made = ", ".join(f"{k} {len(v):,}" for k, v in out.items())
        print(
            f"{n:>6} subjects ({rows:,} SDTM rows): derive_adam {secs:6.2f} s, peak heap {peak / 2**20:7.1f} MiB, "
            f"max RSS {rss:7.1f} MiB  [{made}]",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
