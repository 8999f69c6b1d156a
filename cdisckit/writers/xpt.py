"""Moved to :mod:`cdisckit.formats.xpt` (the XPT v5 writer and reader); kept so that old imports work."""

from ..formats.xpt import (  # noqa: F401
    FIXED_STAMP,
    SAS_EPOCH,
    is_date_var,
    prepare_for_xpt,
    read_xpt,
    to_sas_numeric,
    utf8_byte_lengths,
    write_xpt,
)
