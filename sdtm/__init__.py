"""Raw EDC export -> SDTM (any SDTMIG domain or custom domain + SUPPxx) through a study's YAML mapping specs.

>>> from cdisckit.sdtm import map_study, load_study   # doctest: +SKIP
>>> result = map_study(Path("mappings/c-car031"))       # doctest: +SKIP
>>> result.datasets["DM"], result.reconciliation["unmapped"]  # doctest: +SKIP
"""

from .engine import SdtmResult, map_study
from .spec import load_study
from .study_codelists import study_codelists

__all__ = ["map_study", "load_study", "SdtmResult", "study_codelists"]
