"""The billing/plan gate the engine asks before starting a run.

`run_refusal` returns a plain-language reason when billing or the plan forbids a run of this kind, or
None when it may start. With no payment provider configured (billing off) every run is allowed, as
DESIGN.md §1 step 9 says. The billing feature fills in the paid-order and plan rules.
"""

from __future__ import annotations


def run_refusal(*, migration, kind: str) -> str | None:
    return None
