"""axe-core audits for browser tests: tests only, never loaded by the product.

axe-core 4.14.1 is vendored from the npm registry (`npm pack axe-core@4.14.1`, MPL-2.0, licence beside it)
under tests/browser/vendor/. It is evaluated through Playwright (the DevTools protocol), which the
page's Content-Security-Policy does not govern, so the audited pages keep their real policy.
"""

from __future__ import annotations

import json
from pathlib import Path

AXE_VERSION = "4.14.1"
AXE = Path(__file__).resolve().parent / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "a11y"
BLOCKING = ("serious", "critical")

_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n").slice(0, 2).join(" "))}));
}"""


def violations(page) -> list[dict]:
    """Every axe violation of the page as it is now (any impact)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(_RUN)


def audit(page, name: str) -> list[dict]:
    """Audit the page; fail on serious or critical violations. Every result is kept under artifacts/a11y/."""
    found = violations(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps({"url": page.url, "violations": found}, indent=1))
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert not blocking, f"{name} ({page.url}): " + json.dumps(blocking, indent=1, ensure_ascii=False)
    return found
