"""IBM System/360 double precision <-> IEEE 754 double, vectorised over numpy arrays.

SAS XPORT v5 stores numbers as IBM/360 doubles: a sign bit, a 7-bit base-16 exponent in excess 64 and a
56-bit fraction, big-endian (SAS TS-140). The rules here are those of the TS-140 routines as ReadStat
(pyreadstat) applies them, so that the bytes written and the values read agree with pyreadstat's bit for bit:

* IEEE -> IBM is exact for every finite double from 2**-260 to just below 2**249 (the IBM fraction has three
  more bits than the IEEE one); smaller magnitudes, subnormals and -0.0 become +0; larger magnitudes and
  +-infinity become the largest IBM number of that sign (``7F FF FF FF FF FF FF FF``), which reads back as
  +-infinity. NaN is the SAS missing value ``.`` (``2E`` then seven zero bytes).
* IBM -> IEEE keeps 53 of the 56 fraction bits (the lowest 0-3 are dropped, truncating toward zero); a value
  whose last seven bytes are zero and whose first byte is not is a missing value (``.``, ``._``, ``.A``-``.Z``)
  and reads as NaN; ``7F FF .. FF`` with either sign reads as +-infinity.
"""

from __future__ import annotations

import numpy as np

MISSING = np.uint64(0x2E00_0000_0000_0000)  # SAS "." as an IBM double
_FRAC52 = np.uint64((1 << 52) - 1)
_FRAC56 = np.uint64((1 << 56) - 1)
_MAGNITUDE = np.uint64((1 << 63) - 1)
_SIGN = np.uint64(1 << 63)


def ieee_to_ibm(values: np.ndarray) -> np.ndarray:
    """IBM doubles (as unsigned 64-bit integers) for float64 ``values``; NaN becomes the SAS missing value.

    >>> [f"{w:016X}" for w in ieee_to_ibm(np.array([1.0, -118.625, 0.1, np.nan, 0.0]))]
    ['4110000000000000', 'C276A00000000000', '401999999999999A', '2E00000000000000', '0000000000000000']
    """
    v = np.ascontiguousarray(values, dtype=np.float64)
    bits = v.view(np.uint64)
    sign = bits & _SIGN
    exp = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - 1023
    shift = (exp & 3).astype(np.uint64)
    fraction = ((bits & _FRAC52) | np.uint64(1 << 52)) << shift
    ibm_exp = ((exp >> 2) + 65).clip(0, 127).astype(np.uint64)
    out = sign | (ibm_exp << np.uint64(56)) | fraction
    out[exp < -260] = 0  # too small for IBM (and every subnormal, +-0.0)
    huge = exp > 248
    out[huge] = sign[huge] | _MAGNITUDE  # saturate (and +-inf)
    out[bits == 0] = 0
    out[np.isnan(v)] = MISSING
    return out


def ibm_to_ieee(words: np.ndarray) -> np.ndarray:
    """float64 values of IBM doubles given as unsigned 64-bit integers; SAS missing values become NaN.

    >>> ibm_to_ieee(np.array([0x4110000000000000, 0xC276A00000000000, 0x2E00000000000000, 0x4100000000000000, 0],
    ...                      dtype=np.uint64)).tolist()
    [1.0, -118.625, nan, nan, 0.0]
    """
    w = np.ascontiguousarray(words, dtype=np.uint64)
    fraction = w & _FRAC56
    top = fraction >> np.uint64(53)  # the three high bits of the leading hex digit
    shift = np.where(top >= 4, 3, np.where(top >= 2, 2, np.where(top >= 1, 1, 0))).astype(np.uint64)
    ibm_exp = ((w >> np.uint64(56)) & np.uint64(0x7F)).astype(np.int64)
    exp = (((ibm_exp - 65) << 2) + shift.astype(np.int64) + 1023).astype(np.uint64)
    bits = (w & _SIGN) | (exp << np.uint64(52)) | ((fraction >> shift) & _FRAC52)
    out = bits.view(np.float64).copy()
    out[fraction == 0] = np.nan  # a missing value (first byte '.', '_', 'A'-'Z' or any other)
    out[w == 0] = 0.0
    infinite = (w & _MAGNITUDE) == _MAGNITUDE
    out[infinite] = np.where(w[infinite] & _SIGN, -np.inf, np.inf)
    return out
