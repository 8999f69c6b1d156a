"""Hypothesis profiles: ``ci`` (default, small and deterministic so the suite stays fast) and ``dev`` (more
examples, for a developer hunting a bug: ``HYPOTHESIS_PROFILE=dev python -m pytest tests/property``)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
