"""Statistics for the study report: exact binomial CIs and Kaplan-Meier estimates.

Everything is delegated to scipy; this module only arranges inputs and reads results:

* ``clopper_pearson``: exact interval from beta quantiles (``scipy.stats.beta.ppf``), the interval of
  ``scipy.stats.binomtest(k, n).proportion_ci(method="exact")``.
* ``kaplan_meier``: ``scipy.stats.ecdf`` on ``scipy.stats.CensoredData`` (product-limit estimate of S(t));
  pointwise CIs from ``EmpiricalDistributionFunction.confidence_interval(method="log-log")``
  (Greenwood variance on the log(-log S) scale).
* Median: the first time at which S(t) <= 0.5.  Its 95% CI follows Brookmeyer & Crowley (1982) as
  implemented by inverting the pointwise band (as R ``survival::survfit`` does): the set of t whose pointwise
  CI contains 0.5; the lower limit is the first time the *lower* band is <= 0.5, the upper limit is the first
  time the *upper* band is <= 0.5; a limit that is never reached is not estimable (NaN, shown as "NE").  Where S(t) = 0 the log-log band is undefined and is taken as 0.

scipy is imported inside the functions so ``import cdisckit.report`` stays light.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

CI_METHOD = "log-log"
CONFIDENCE = 0.95


def clopper_pearson(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Exact (Clopper-Pearson) CI of k/n; (nan, nan) when n == 0. Beta quantiles, the same interval as
    ``scipy.stats.binomtest(k, n).proportion_ci(method="exact")`` (checked in the tests), without its root search.

    >>> [round(x, 4) for x in clopper_pearson(3, 8)]
    [0.0852, 0.7551]
    """
    if n <= 0:
        return (math.nan, math.nan)
    from scipy.special import betaincinv  # the beta quantile, without scipy.stats' per-call overhead

    a = (1 - confidence) / 2
    low = 0.0 if k <= 0 else float(betaincinv(k, n - k + 1, a))
    high = 1.0 if k >= n else float(betaincinv(k + 1, n - k, 1 - a))
    return (low, high)


@dataclass
class KMResult:
    """Product-limit estimate: step function S(t) at the distinct event times, with pointwise CI."""

    n: int
    events: int
    times: np.ndarray = field(repr=False)  # distinct observed times (events and censorings), ascending
    surv: np.ndarray = field(repr=False)  # S(t) just after each time in ``times``
    low: np.ndarray = field(repr=False)  # pointwise lower CI of S
    high: np.ndarray = field(repr=False)  # pointwise upper CI of S
    censor_times: np.ndarray = field(repr=False)
    max_time: float = math.nan
    median: float = math.nan
    median_low: float = math.nan
    median_high: float = math.nan
    ci_method: str = CI_METHOD
    all_times: np.ndarray = field(default_factory=lambda: np.array([], dtype=float), repr=False)  # every subject's time

    def at_risk(self, t: float) -> int:
        """Subjects still at risk at time ``t`` (time >= t)."""
        return int(self.all_times.size - np.searchsorted(self.all_times, t, side="left"))

    def at(self, t: float) -> tuple[float, float, float]:
        """(S(t), lower, upper); NaN beyond the last observed time (not estimable) or with no data."""
        if self.n == 0 or t > self.max_time:
            return (math.nan, math.nan, math.nan)
        i = np.searchsorted(self.times, t, side="right") - 1
        if i < 0:
            return (1.0, 1.0, 1.0)
        return (float(self.surv[i]), float(self.low[i]), float(self.high[i]))


def _first_at_or_below(times: np.ndarray, values: np.ndarray, level: float = 0.5) -> float:
    hit = np.nonzero(values <= level + 1e-12)[0]
    return float(times[hit[0]]) if hit.size else math.nan


def kaplan_meier(time, event, confidence: float = CONFIDENCE, method: str = CI_METHOD) -> KMResult:
    """Kaplan-Meier estimate for right-censored data; ``event`` is truthy for an event, falsy if censored.

    >>> km = kaplan_meier([3, 5, 5, 8], [1, 1, 0, 1])
    >>> [round(float(x), 4) for x in km.surv], km.median
    ([0.75, 0.5, 0.0], 5.0)
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    keep = ~np.isnan(t)
    t, e = t[keep], e[keep]
    empty = np.array([], dtype=float)
    if t.size == 0:
        return KMResult(0, 0, empty, empty, empty, empty, empty)
    censor_times = np.sort(t[~e])
    if not e.any():  # no event: S(t) = 1 throughout, CI degenerate
        u = np.unique(t)
        ones = np.ones_like(u)
        return KMResult(
            int(t.size), 0, u, ones, ones.copy(), ones.copy(), censor_times, float(t.max()), all_times=np.sort(t)
        )
    from scipy import stats

    data = stats.CensoredData(uncensored=t[e], right=t[~e])
    sf = stats.ecdf(data).sf
    times = np.asarray(sf.quantiles, dtype=float)
    surv = np.asarray(sf.probabilities, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # band undefined where S = 0 (or 1)
        ci = sf.confidence_interval(confidence_level=confidence, method=method)
        low = np.asarray(ci.low.probabilities, dtype=float)
        high = np.asarray(ci.high.probabilities, dtype=float)
    zero = surv <= 0
    low = np.where(zero & np.isnan(low), 0.0, low)
    high = np.where(zero & np.isnan(high), 0.0, high)
    one = surv >= 1
    low = np.where(one & np.isnan(low), 1.0, low)
    high = np.where(one & np.isnan(high), 1.0, high)
    return KMResult(
        n=int(t.size),
        events=int(e.sum()),
        times=times,
        surv=surv,
        low=low,
        high=high,
        censor_times=censor_times,
        max_time=float(t.max()),
        median=_first_at_or_below(times, surv),
        median_low=_first_at_or_below(times, np.nan_to_num(low, nan=1.0)),
        median_high=_first_at_or_below(times, np.nan_to_num(high, nan=1.0)),
        ci_method=method,
        all_times=np.sort(t),
    )
