"""A separate process that spends a shared Front budget (used by test_shared_budget.py).

python -m tests.front.budget_worker URL TOKEN BUDGET_KEY CALLS REDIS_URL DATA_DIR
Prints its client stats as JSON on the last line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from connectors.budget import SharedBudget
from connectors.front import FrontClient


def main() -> None:
    url, token, key, calls, redis_url, data_dir = sys.argv[1:7]
    budget = SharedBudget(f"front:{key}", default_limit=50, redis_url=redis_url, data_dir=Path(data_dir))
    client = FrontClient(token=token, api_url=url, budget=budget)
    for _ in range(int(calls)):
        client.me()
    print(json.dumps(client.stats))


if __name__ == "__main__":
    main()
