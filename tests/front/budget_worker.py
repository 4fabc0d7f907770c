"""A separate process that spends a shared Front budget (used by test_shared_budget.py).

python -m tests.front.budget_worker URL TOKEN BUDGET_KEY CALLS REDIS_URL DATA_DIR [OAUTH_JSON]
Prints its client stats as JSON on the last line. With OAUTH_JSON ({client_id, client_secret, tokens}) the
client holds both connections and spreads its calls over the company's token and partner budgets.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from connectors.budget import SharedBudget
from connectors.front import FrontClient
from connectors.front.budgets import PARTNER, TOKEN, BudgetPair, company_budget
from connectors.front.oauth import MemoryTokenStore, OAuthApp, OAuthSession, OAuthTokens


def main() -> None:
    url, token, key, calls, redis_url, data_dir = sys.argv[1:7]
    if len(sys.argv) > 7:
        oauth = json.loads(sys.argv[7])
        shared = {"redis_url": redis_url, "data_dir": Path(data_dir)}
        pair = BudgetPair({TOKEN: company_budget(key, TOKEN, **shared), PARTNER: company_budget(key, PARTNER, **shared)})
        app = OAuthApp(client_id=oauth["client_id"], client_secret=oauth["client_secret"], oauth_url=url)
        session = OAuthSession(app, MemoryTokenStore(OAuthTokens(**oauth["tokens"])))
        client = FrontClient(token=token, api_url=url, budget=pair, oauth=session)
    else:
        budget = SharedBudget(f"front:{key}", default_limit=50, redis_url=redis_url, data_dir=Path(data_dir))
        client = FrontClient(token=token, api_url=url, budget=budget)
    for _ in range(int(calls)):
        client.me()
    print(json.dumps(client.stats))


if __name__ == "__main__":
    main()
