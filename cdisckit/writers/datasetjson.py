"""Moved to :mod:`cdisckit.formats.datasetjson` (Dataset-JSON 1.1 writer and reader); kept so old imports work."""

from ..formats.datasetjson import (  # noqa: F401
    DATASET_JSON_VERSION,
    FIXED_DATETIME,
    NUMERIC_TYPES,
    char_length,
    dataset_json_document,
    default_timestamp,
    dumps_dataset_json,
    is_datetime_column,
    iso_text_kind,
    iso_timestamp,
    numeric_kind,
    read_dataset_json,
    whole_numbers,
    write_dataset_json,
)
