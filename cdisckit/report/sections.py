"""Report sections as HTML: subjects (disposition, populations, demographics, exposure, deaths) and safety.

>>> subjects_section({"available": False, "note": "ADSL not available"}, {}, {}, {}, {})
'<h2 id="subjects">1. Subjects</h2><p class="na">ADSL not available</p>'
"""

from __future__ import annotations

import pandas as pd

from .fmt import col_header, esc, fmt_npct, fmt_num, isnan, na, note, table


def _count_rows(df: pd.DataFrame, N: dict | None = None) -> tuple[list[str], list[list[str]], list[str]]:
    cols = [c for c in df.columns if c != "row"]
    header = ["", *[col_header(c, N.get(c) if N else None) for c in cols]]
    rows, classes = [], []
    for r in df.itertuples(index=False):
        label = r[0]
        sub = label.startswith("  ")
        cells = [esc(label.strip())]
        for c, v in zip(cols, r[1:]):
            cells.append(fmt_npct(v, N[c], 100.0 * v / N[c]) if N and N.get(c) else str(int(v)))
        rows.append(cells)
        classes.append("sub" if sub else "")
    return header, rows, classes


def subjects_section(disp, pops, demo, expo, deaths) -> str:
    parts = ['<h2 id="subjects">1. Subjects</h2>']
    if isinstance(disp, dict):
        return parts[0] + na(disp["note"])
    parts.append("<h3>1.1 Disposition (all subjects in ADSL, by planned arm TRT01P)</h3>")
    h, rows, cls = _count_rows(disp)
    parts.append(table(h, rows, cls, cell_classes={(i, 0): "ind" for i, c in enumerate(cls) if c}))
    parts.append(
        note(
            "Enrolled, not treated: enrolled (ENRLFL = Y) but never dosed (SAFFL = N), with the reason the study "
            "recorded (ADSL DCSREASP, else DCSREAS). End of study status EOSSTT (screen failures have none)."
        )
    )
    parts.append("<h3>1.2 Analysis populations (by planned arm)</h3>")
    h, rows, cls = _count_rows(pops)
    parts.append(table(h, rows, cls))
    parts.append("<h3>1.3 Demographics (safety population, by actual arm TRT01A)</h3>")
    if isinstance(demo, dict) and demo.get("columns"):
        cols, N = demo["columns"], demo["N"]
        rows = []
        a = demo["age"]
        if a:
            rows.append(["Age (years), n"] + [str(a[c]["n"]) for c in cols])
            rows.append(
                ["&nbsp;&nbsp;mean (SD)"] + [f"{fmt_num(a[c]['mean'])} ({fmt_num(a[c]['sd'], 1, '-')})" for c in cols]
            )
            rows.append(
                ["&nbsp;&nbsp;median (min, max)"]
                + [f"{fmt_num(a[c]['median'])} ({fmt_num(a[c]['min'], 0)}, {fmt_num(a[c]['max'], 0)})" for c in cols]
            )
        last = None
        for r in demo["categories"]:
            if r["variable"] != last:
                rows.append([f"<b>{esc(r['variable'])}</b>"] + [""] * len(cols))
                last = r["variable"]
            rows.append(
                [f"&nbsp;&nbsp;{esc(r['value'])}"]
                + [fmt_npct(r[c][0], r[c][1], 100.0 * r[c][0] / r[c][1] if r[c][1] else float("nan")) for c in cols]
            )
        parts.append(table([""] + [col_header(c, N[c]) for c in cols], rows))
    parts.append("<h3>1.4 Exposure (safety population)</h3>")
    if isinstance(expo, dict) and expo.get("rows"):
        cols = expo["columns"]
        rows = []
        for r in expo["rows"]:
            rows.append([esc(r["label"]) + ", n"] + [str(r[c]["n"]) for c in cols])
            rows.append(
                ["&nbsp;&nbsp;median (min, max)"]
                + [f"{fmt_num(r[c]['median'], 0)} ({fmt_num(r[c]['min'], 0)}, {fmt_num(r[c]['max'], 0)})" for c in cols]
            )
        parts.append(table([""] + [esc(c) for c in cols], rows))
    else:
        parts.append(na("Exposure not available: ADSL has neither TRTDURD nor DOSE01A"))
    parts.append("<h3>1.5 Deaths (all subjects in ADSL, by actual arm)</h3>")
    if isinstance(deaths, dict) and "table" in deaths:
        h, rows, cls = _count_rows(deaths["table"], deaths["N"])
        parts.append(table(h, rows, cls))
        parts.append(
            note("Cause of death: ADSL DTHCAUS. Deaths of subjects never treated count under their empty actual arm.")
        )
    return "\n".join(parts)


# ----------------------------------------------------------------------------------------------- safety
def soc_pt_table(df: pd.DataFrame, N: dict, grades: list[tuple[str, str]], cohorts: list[str]) -> str:
    """SOC rows in bold with their PT rows indented below; arms as column groups, one column per grade."""
    if df.empty:
        return na("No subjects with events.")
    header = ["System organ class<br>&nbsp;&nbsp;Preferred term"]
    for c in cohorts:
        for _g, glab in grades:
            header.append(f"{esc(c)} (N={N[c]})<br>{glab}")
    thead = (
        f'<tr><th rowspan="2">{header[0]}</th>'
        + "".join(f'<th colspan="{len(grades)}">{esc(c)}<br>(N={N[c]})</th>' for c in cohorts)
        + "</tr><tr>"
        + "".join(f"<th>{glab}</th>" for _c in cohorts for _g, glab in grades)
        + "</tr>"
    )
    d = df[df["cohort"].isin(cohorts) & df["grade"].isin([g for g, _ in grades])]
    d = d.assign(_pt=d["AEDECOD"].astype(object).where(d["AEDECOD"].notna(), ""))
    wide = d.pivot_table(
        index=["AEBODSYS", "_pt"], columns=["cohort", "grade"], values="n", aggfunc="first", sort=False
    )
    order = d[["AEBODSYS", "_pt"]].drop_duplicates()
    rows, classes, cells_cls = [], [], {}
    for i, (soc, pt) in enumerate(order.itertuples(index=False)):
        r = wide.loc[(soc, pt)]
        row = [esc(soc if pt == "" else pt)]
        for c in cohorts:
            for g, _ in grades:
                n = r.get((c, g), 0)
                n = 0 if isnan(n) else int(n)
                row.append(fmt_npct(n, N[c], 100.0 * n / N[c] if N[c] else float("nan")))
        rows.append(row)
        classes.append("soc" if pt == "" else "")
        if pt != "":
            cells_cls[(i, 0)] = "pt"
    return table(header, rows, classes, cell_classes=cells_cls, cls="wide", thead=thead)


def safety_section(s: dict) -> str:
    parts = ['<h2 id="safety">2. Safety (safety population, SAFFL = "Y")</h2>']
    if not s.get("available"):
        return parts[0] + na(f"Safety analyses not available: {s['note']}")
    N = s["N"]
    sc = s["scale"]
    high = sc["high"]
    hl = sc["high_label"]
    if s.get("note"):
        parts.append(note(esc(s["note"])))
    parts.append(
        note(
            f'Treatment-emergent adverse events (TEAE: ADAE.TRTEMFL = "Y"). Graded by {esc(sc["name"])} '
            f"({esc(sc['col'] or 'none recorded')}); a subject is counted once per row, at the worst {esc(sc['name'])} "
            "of that row; percentages use the safety population of the arm (N)."
        )
    )
    ov = s["overview"].set_index(["category", "cohort"])
    cats = list(dict.fromkeys(s["overview"]["category"]))
    parts += [
        "<h3>2.1 Overview of TEAEs</h3>",
        table(
            ["Subjects with"] + [col_header(c, n) for c, n in N.items()],
            [[esc(cat)] + [fmt_npct(*ov.loc[(cat, c), ["n", "N", "pct"]]) for c in N] for cat in cats],
        ),
    ]
    cols = list(N)
    parts += [
        f"<h3>2.2 TEAEs by system organ class and preferred term (any {esc(sc['name'])} and {hl.lower()})</h3>",
        soc_pt_table(s["soc_pt"], N, [("Any", "Any"), (f">={high}", hl)], cols),
    ]
    parts.append('<h3>2.3 Serious TEAEs (AESER = "Y")</h3>')
    ser = s["serious_soc_pt"]
    parts.append(
        na(ser["note"] + " (not available)")
        if isinstance(ser, dict)
        else soc_pt_table(ser, N, [("Any", "Any"), (f">={high}", hl)], cols)
    )
    parts.append("<h3>2.4 Adverse events of special interest</h3>")
    a = s["aesi"]
    if not a.get("available"):
        parts.append(na(f"AESI summary not available: {a['note']}"))
        return "\n".join(parts)
    parts.append(
        note(
            "Each AESI category (ADAE AESICAT) by its worst grade per subject on the scale the study declares for it "
            "(e.g. a consensus grade variable of ADAE), else the study's grading. Onset: study day of each subject's "
            "first event of the category (ASTDY; day 1 = first dose). Duration: ADURN of each event (days)."
        )
    )
    g = a["grades"]
    on = a["onset"]
    for cat in dict.fromkeys(g["category"]):
        sub = g[g["category"] == cat]
        scale = sub["scale"].iloc[0]
        grades = list(dict.fromkeys(sub["grade"]))
        order = (
            ["Any"]
            + sorted((x for x in grades if x.isdigit()), key=int)
            + [x for x in grades if not x.isdigit() and x != "Any"]
        )
        idx = sub.set_index(["grade", "cohort"])
        rows = []
        for gg in order:
            lab = {"Any": "Any grade", "Missing": "Grade missing"}.get(gg, f"Grade {esc(gg)}")
            if gg.startswith(">="):
                lab = f"Grade &ge;{gg[2:]}"
            rows.append(
                [lab]
                + [
                    fmt_npct(*idx.loc[(gg, c), ["n", "N", "pct"]]) if (gg, c) in idx.index else fmt_npct(0, N[c], 0.0)
                    for c in N
                ]
            )
        parts += [
            f"<h4>{esc(cat)}: worst {esc(scale)}</h4>",
            table([f"{esc(scale)}"] + [col_header(c, n) for c, n in N.items()], rows),
        ]
        if isinstance(on, pd.DataFrame) and (on["category"] == cat).any():
            o = on[on["category"] == cat].set_index("cohort")

            def rng(c, a, b, o=o):
                return "-" if isnan(o.loc[c, a]) else f"{fmt_num(o.loc[c, a], 0)} &ndash; {fmt_num(o.loc[c, b], 0)}"

            rows = [
                ["Subjects with onset day"] + [str(int(o.loc[c, "n"])) for c in N],
                ["Onset, median (days, ASTDY)"] + [fmt_num(o.loc[c, "median"], 1, "-") for c in N],
                ["Onset, range"] + [rng(c, "min", "max") for c in N],
                ["Events with known duration"] + [str(int(o.loc[c, "dur_n"])) for c in N],
                ["Duration, median (days, ADURN)"] + [fmt_num(o.loc[c, "dur_median"], 1, "-") for c in N],
                ["Duration, range"] + [rng(c, "dur_min", "dur_max") for c in N],
            ]
            parts += [
                f"<h4>{esc(cat)}: onset and duration</h4>",
                table([""] + [col_header(c, n) for c, n in N.items()], rows),
            ]
    return "\n".join(parts)
