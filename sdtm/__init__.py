"""Raw EDC export -> SDTM (DM EX AE DS CM TU TR RS + SUPPxx) through a study's YAML mapping specs.

>>> from cdisckit.sdtm import map_study, load_study   # doctest: +SKIP
>>> result = map_study(Path("mappings/c-car031"))       # doctest: +SKIP
>>> result.datasets["DM"], result.reconciliation["unmapped"]  # doctest: +SKIP
"""

from .engine import SdtmResult, map_study
from .spec import load_study

__all__ = ["map_study", "load_study", "SdtmResult"]
