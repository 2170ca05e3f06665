"""Hypothesis profiles of the fuzz suite: ``ci`` (derandomised, small: ``make test``) and ``fuzz`` (thousands of inputs: ``make fuzz``).

``HYPOTHESIS_PROFILE=fuzz`` selects the long one. The profiles are applied per test (``settings(parent=…)``), so
loading one does not change the other property tests of the suite.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much], print_blob=True)
settings.register_profile("ci", derandomize=True, max_examples=6, database=None, **_COMMON)
settings.register_profile("fuzz", max_examples=2000, database=None, **_COMMON)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci") if os.environ.get("HYPOTHESIS_PROFILE") in ("ci", "fuzz") else "ci"
FUZZ = PROFILE == "fuzz"


def fuzz_settings(*, ci: int, fuzz: int) -> settings:
    """The profile's settings with this test's number of examples in each profile."""
    return settings(parent=settings.get_profile(PROFILE), max_examples=fuzz if FUZZ else ci)
