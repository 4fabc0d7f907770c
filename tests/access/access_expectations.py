"""Who may do what on every URL that takes an object id: THE table new URLs must be added to.

`get` / `post`: the lowest share level allowed (VIEWER < EDITOR < OWNER), STAFF for the staff console,
or NOT_ALLOWED when the method is not served at all (405, or 404, for everyone).
`samples`: values for URL keywords that are not object ids (e.g. `which`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wizard.access import Level

V, E, O = Level.VIEWER, Level.EDITOR, Level.OWNER
STAFF = "staff"
NOT_ALLOWED = None


@dataclass(frozen=True)
class Rule:
    get: Level | str | None
    post: Level | str | None
    samples: dict[str, str] = field(default_factory=dict)


EXPECTED: dict[str, Rule] = {
    # Sharing and data lifecycle (wizard/sharing_views.py, wizard/lifecycle_views.py)
    "wizard:sharing": Rule(get=O, post=NOT_ALLOWED),
    "wizard:share_invite": Rule(get=NOT_ALLOWED, post=O),
    "wizard:share_link": Rule(get=NOT_ALLOWED, post=O),
    "wizard:share_revoke": Rule(get=NOT_ALLOWED, post=O),
    "wizard:share_level": Rule(get=NOT_ALLOWED, post=O),
    "wizard:data_delete": Rule(get=O, post=O),
    # Staff console (staff/views.py)
    "staff:migration": Rule(get=STAFF, post=NOT_ALLOWED),
    "staff:extend": Rule(get=NOT_ALLOWED, post=STAFF),
    "staff:purge": Rule(get=NOT_ALLOWED, post=STAFF),
    "staff:retry_failed": Rule(get=NOT_ALLOWED, post=STAFF),
    "staff:run_pause": Rule(get=NOT_ALLOWED, post=STAFF),
    "staff:run_resume": Rule(get=NOT_ALLOWED, post=STAFF),
}
