"""Small raw export fixture following docs/raw-export.md exactly (4 subjects), and the c-car031 mapping folder."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STUDY_DIR = ROOT / "mappings" / "c-car031"
EXAMPLE_RAW = ROOT / "examples" / "c-car031" / "raw"

# 101-001 DL2 monotherapy, infused 10-Mar-2025, dies UN-SEP-2025; 101-002 screen failure;
# 102-001 LEN cohort; 102-002 enrolled (PD1) but never infused.
FORMS = {
    "dm.csv": """SITEID,SUBJECT,RECORDID,BRTHDAT,SEX,RACE,ETHNIC,COUNTRY
101,101-001,1,15-Jun-1968,1=Male,Asian,Not Hispanic or Latino,China
101,101-002,2,02-Jan-1970,female,Asian,Not reported,China
102,102-001,3,11-Mar-1960,Male,White,Hispanic or Latino,United States
102,102-002,4,30-Dec-1955,MALE,Other,Not Hispanic or Latino,United States
""",
    "ic.csv": """SITEID,SUBJECT,RECORDID,ICDAT,ICTIM
101,101-001,1,20-Jan-2025,09:30
101,101-002,2,22-Jan-2025,10:00
102,102-001,3,03-Feb-2025,11:15
102,102-002,4,05-Feb-2025,08:45
101,101-001,5,01-Jun-2025,14:00
""",
    "enr.csv": """SITEID,SUBJECT,RECORDID,ELIGYN,ENRDAT,COHORT,COHORTLBL,DOSELVL
101,101-001,1,Yes,01-Mar-2025,DL2,"Dose level 2: 2.5x10^8 cells, monotherapy",250
101,101-002,2,No,,,,
102,102-001,3,Yes,10-Mar-2025,LEN,Dose level 2: 2.5x10^8 cells + lenvatinib,250
102,102-002,4,Yes,12-Mar-2025,PD1,Dose level 2: 2.5x10^8 cells + PD-1 antibody,250
""",
    "ld.csv": """SITEID,SUBJECT,RECORDID,FOLDER,LDTRT,LDDAT,LDSTTIM,LDDOSE,LDDOSEU
101,101-001,1,LYMPHODEPLETION,Fludarabine,05-Mar-2025,08:00,25,mg/m2
101,101-001,2,LYMPHODEPLETION,Cyclophosphamide,05-Mar-2025,08:45,300,mg/m2
101,101-001,3,LYMPHODEPLETION,FLUDARABINE,06-Mar-2025,08:00,25,mg/m2
101,101-001,4,LYMPHODEPLETION,Cyclophosphamide ,06-Mar-2025,08:45,300,mg/m2
101,101-001,5,LYMPHODEPLETION, fludarabine,07-Mar-2025,08:00,25,mg/m2
101,101-001,6,LYMPHODEPLETION,cyclophosphamide,07-Mar-2025,08:45,300,mg/m2
102,102-001,7,LYMPHODEPLETION,Fludarabine,14-Mar-2025,09:00,25,mg/m2
102,102-001,8,LYMPHODEPLETION,Cyclophosphamide,14-Mar-2025,09:45,300,mg/m2
102,102-001,9,LYMPHODEPLETION,Fludarabine,15-Mar-2025,09:00,25,mg/m2
102,102-001,10,LYMPHODEPLETION,Cyclophosphamide,15-Mar-2025,09:45,300,mg/m2
102,102-001,11,LYMPHODEPLETION,Fludarabine,16-Mar-2025,09:00,25,mg/m2
102,102-001,12,LYMPHODEPLETION,Cyclophosphamide,16-Mar-2025,09:45,300,mg/m2
""",
    "inf.csv": """SITEID,SUBJECT,RECORDID,INFDAT,INFSTTIM,INFDOSE,INFDOSEU
101,101-001,1,10-Mar-2025,10:20,250,10^6 cells
102,102-001,2,19-Mar-2025,11:00,230,10^6 cells
""",
    "len.csv": """SITEID,SUBJECT,RECORDID,LENSTDAT,LENENDAT,LENDOSE,LENDOSEU,LENFREQ
102,102-001,1,20-Mar-2025,30-Apr-2025,12,mg,QD
102,102-001,2,10-May-2025,,8,mg,once daily
""",
    "pd1.csv": """SITEID,SUBJECT,RECORDID,FOLDER,PD1DAT,PD1STTIM,PD1DOSE,PD1DOSEU
""",
    "ae.csv": """SITEID,SUBJECT,RECORDID,AESPID,AETERM,AEDECOD,AEBODSYS,AELLT,AELLTCD,AEPTCD,AEHLT,AEHLTCD,AEHLGT,AEHLGTCD,AESOCCD,AESTDAT,AESTTIM,AEENDAT,AEENTIM,AEONGO,AETOXGR,AESER,AESDTH,AESCONG,AESDISAB,AESHOSP,AESLIFE,AESMIE,AEREL_CART,AEREL_LD,AEREL_LEN,AEREL_PD1,AEACN,AEOUT,AESI,AESICAT,ASTCTGR
101,101-001,1,1,Fatigue ,Fatigue,General disorders and administration site conditions,Fatigue,96501842,96501842,Asthenic conditions,99790900,General system disorders NEC,99723081,92435359,UN-FEB-2025,,UN-UNK-2025,,,Grade 1,No,No,No,No,No,No,No,Not related,Not related,Not applicable,Not applicable,Not applicable,Recovered/Resolved,No,,
101,101-001,2,2,CRS – post CAR-T,Cytokine release syndrome,Immune system disorders,Cytokine release syndrome,99045158,99045158,Immune and associated conditions NEC,93895354,Immune disorders NEC,94024520,94919980,12-Mar-2025,14:30,16-Mar-2025,,,Grade 2,Yes,No,No,No,Yes,No,No,Related,Possibly related,Not applicable,Not applicable,Dose not changed,Recovered/Resolved,Yes,CRS,Grade 2
101,101-001,3,3,,Pyrexia,General disorders and administration site conditions,,,,,,,,,11-Mar-2025,,12-Mar-2025,,,1,No,No,No,No,No,No,No,Related,Not related,Not applicable,Not applicable,Not applicable,Recovered/Resolved,No,,
101,101-001,4,4,Anémie,Anaemia,Blood and lymphatic system disorders,Anaemia,93295856,93295856,Anaemias NEC,90631618,Anaemias nonhaemolytic and marrow depression,94096704,94928829,2025-04,,,,Yes,3,No,No,No,No,No,No,No,Possibly related,Related,Not applicable,Not applicable,Not applicable,Not recovered/Not resolved,No,,
102,102-001,5,1,Hypertension,Hypertension,Vascular disorders,Hypertension,91696117,91696117,Vascular hypertensive disorders NEC,93048398,Vascular hypertensive disorders,98009220,92357513,25-Mar-2025,,,,Yes,Grade 2,No,No,No,No,No,No,No,Not related,Not related,Related,Not applicable,Drug interrupted,Not recovered/Not resolved,No,,
""",
    "ds.csv": """SITEID,SUBJECT,RECORDID,DSDAT,DSSTATUS,DSREAS
101,101-001,1,UN-SEP-2025,Death,Subject died
101,101-002,2,10-Feb-2025,Screen failure,GPC3 expression negative on tumour biopsy
102,102-001,3,20-Jun-2025,Withdrawal by subject,
102,102-002,4,15-Mar-2025,Physician decision,CAR-T product manufacturing failure
""",
    "dd.csv": """SITEID,SUBJECT,RECORDID,DTHDAT,DTHCAUS,DTHCAUSO
101,101-001,1,UN-SEP-2025,Disease progression,
""",
    "nact.csv": """SITEID,SUBJECT,RECORDID,NACTTRT,NACTDECOD,NACTATC,NACTATCCD,NACTSTDAT
101,101-001,1, sorafenib,SORAFENIB,OTHER PROTEIN KINASE INHIBITORS,L01EX,15-Jul-2025
""",
    "tl.csv": """SITEID,SUBJECT,RECORDID,FOLDER,TADAT,LESID,LESLOC,LESMETH,LDIAM,VDIAM,TLNDRS
101,101-001,1,SCREENING,10-Feb-2025,T01,Liver,MRI,50,40,
101,101-001,2,SCREENING,10-Feb-2025,T02,Lung,CT,20,,
101,101-001,3,WEEK 6,21-Apr-2025,T01,Liver,MRI,30,10,
101,101-001,4,WEEK 6,21-Apr-2025,T02,Lung,CT,TOO SMALL TO MEASURE,,
101,101-001,5,UNSCHEDULED,12-May-2025,T01,Liver,MRI,28,0,
101,101-001,6,UNSCHEDULED,12-May-2025,T02,Lung,CT,,,Lesion not imaged
101,101-001,7,WEEK 12,02-Jun-2025,T01,Liver,MRI,40,20,
101,101-001,8,WEEK 12,02-Jun-2025,T02,Lung,CT,12,,
""",
    "ntl.csv": """SITEID,SUBJECT,RECORDID,FOLDER,TADAT,LESID,LESLOC,LESMETH,NTLSTAT
101,101-001,1,SCREENING,10-Feb-2025,NT01,Lymph node,CT,Present
101,101-001,2,WEEK 6,21-Apr-2025,NT01,Lymph node,CT,Present
101,101-001,3,UNSCHEDULED,12-May-2025,NT01,Lymph node,CT,Not evaluated
101,101-001,4,WEEK 12,02-Jun-2025,NT01,Lymph node,CT,Unequivocal progression
""",
    "nl.csv": """SITEID,SUBJECT,RECORDID,FOLDER,TADAT,LESID,LESLOC,LESMETH
101,101-001,1,WEEK 12,02-Jun-2025,NEW01,Liver,MRI
""",
    "rsp.csv": """SITEID,SUBJECT,RECORDID,FOLDER,TADAT,CRIT,SUMD,TRGRESP,NTRGRESP,NEWLES,OVRLRESP
101,101-001,1,SCREENING,10-Feb-2025,RECIST 1.1,70,,,,
101,101-001,2,SCREENING,10-Feb-2025,mRECIST,60,,,,
101,101-001,3,WEEK 6,21-Apr-2025,RECIST 1.1,35,PR,NON-CR/NON-PD,No,Partial Response
101,101-001,4,WEEK 6,21-Apr-2025,mRECIST,15,PR,NON-CR/NON-PD,No,PR
101,101-001,5,UNSCHEDULED,12-May-2025,RECIST 1.1,,NE,NE,No,NE
101,101-001,6,UNSCHEDULED,12-May-2025,mRECIST,,NE,NE,No,NE
101,101-001,7,WEEK 12,02-Jun-2025,RECIST 1.1,52,SD,PD,Yes,PD
101,101-001,8,WEEK 12,02-Jun-2025,mRECIST,32,PD,PD,Yes,Progressive Disease
""",
}


def write_fixture(raw_dir: Path, overrides: dict | None = None) -> Path:
    raw_dir.mkdir(parents=True, exist_ok=True)
    for name, text in {**FORMS, **(overrides or {})}.items():
        if text is None:
            continue
        (raw_dir / name).write_text(text, encoding="utf-8")
    return raw_dir
