"""Who may do what on every URL that takes an object id: THE table new URLs must be added to.

`get` / `post`: the lowest share level allowed (VIEWER < EDITOR < OWNER), STAFF for the staff console,
COLLEAGUE for what only someone the migration is shared with may do (any share level, never its creator,
who is refused with a message on a page they can open, not a 404), or NOT_ALLOWED when the method is not
served at all (405, or 404, for everyone).
`samples`: values for URL keywords that are not object ids (e.g. `which`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wizard.access import Level

VIEW, EDIT, OWN = Level.VIEWER, Level.EDITOR, Level.OWNER
STAFF = "staff"
COLLEAGUE = "colleague"
NOT_ALLOWED = None


@dataclass(frozen=True)
class Rule:
    get: Level | str | None
    post: Level | str | None
    samples: dict[str, str] = field(default_factory=dict)
    query: str = ""  # a query string some views need to find their object (e.g. Stripe's session id)


EXPECTED: dict[str, Rule] = {
    # Wizard steps (wizard/views*.py): viewers see every step, editors change settings and run demos,
    # owners pay and start the full run.
    "wizard:open": Rule(get=VIEW, post=VIEW),
    "wizard:rename": Rule(get=EDIT, post=EDIT),
    "wizard:connect": Rule(get=EDIT, post=EDIT),
    "wizard:connect_test": Rule(get=NOT_ALLOWED, post=EDIT, samples={"which": "source"}),
    "wizard:connect_sandbox": Rule(get=NOT_ALLOWED, post=EDIT),
    "wizard:front_oauth_start": Rule(get=NOT_ALLOWED, post=EDIT),  # Connect with Front / Reconnect Front
    "wizard:connect_upload": Rule(get=NOT_ALLOWED, post=EDIT),  # file import: the export ZIP
    "wizard:connect_upload_status": Rule(get=EDIT, post=NOT_ALLOWED),
    "wizard:inbox": Rule(get=VIEW, post=EDIT),
    "wizard:objects": Rule(get=VIEW, post=EDIT),
    "wizard:teammates": Rule(get=VIEW, post=EDIT),
    "wizard:tickets": Rule(get=VIEW, post=EDIT),
    "wizard:options": Rule(get=VIEW, post=EDIT),
    "wizard:demo": Rule(get=VIEW, post=EDIT),
    "wizard:demo_action": Rule(get=NOT_ALLOWED, post=EDIT),
    "wizard:progress": Rule(get=VIEW, post=EDIT),
    "wizard:series": Rule(get=VIEW, post=EDIT),
    "wizard:report": Rule(get=VIEW, post=EDIT),
    "wizard:report_export": Rule(get=VIEW, post=EDIT, samples={"fmt": "csv"}),
    "wizard:plan": Rule(get=VIEW, post=OWN),
    "wizard:full": Rule(get=VIEW, post=OWN),
    "wizard:full_action": Rule(get=NOT_ALLOWED, post=OWN),
    "wizard:checklist": Rule(get=VIEW, post=EDIT, samples={"which": "before"}),
    # Billing (billing/views.py): paying is the owner's; colleagues may read the plan and receipts.
    "billing:plan": Rule(get=VIEW, post=NOT_ALLOWED),
    "billing:checkout": Rule(get=NOT_ALLOWED, post=OWN),
    "billing:success": Rule(get=VIEW, post=NOT_ALLOWED, query="session_id=cs_test_world"),
    "billing:cancel": Rule(get=VIEW, post=NOT_ALLOWED),
    "billing:history": Rule(get=VIEW, post=NOT_ALLOWED),
    "billing:receipt": Rule(get=VIEW, post=NOT_ALLOWED),
    "billing:order_status": Rule(get=VIEW, post=NOT_ALLOWED),
    # Sharing and data lifecycle (wizard/sharing_views.py, wizard/lifecycle_views.py)
    "wizard:sharing": Rule(get=OWN, post=NOT_ALLOWED),
    "wizard:share_invite": Rule(get=NOT_ALLOWED, post=OWN),
    "wizard:share_link": Rule(get=NOT_ALLOWED, post=OWN),
    "wizard:share_revoke": Rule(get=NOT_ALLOWED, post=OWN),
    "wizard:share_level": Rule(get=NOT_ALLOWED, post=OWN),
    "wizard:data_delete": Rule(get=OWN, post=OWN),
    # Leaving a migration shared with you: any colleague; the creator cannot (they delete the data).
    "wizard:share_leave": Rule(get=NOT_ALLOWED, post=COLLEAGUE),
    # Staff console (staff/views.py)
    "staff:migration": Rule(get=STAFF, post=NOT_ALLOWED),
    "staff:extend": Rule(get=NOT_ALLOWED, post=STAFF),
    "staff:purge": Rule(get=NOT_ALLOWED, post=STAFF),
    "staff:retry_failed": Rule(get=NOT_ALLOWED, post=STAFF),
    "staff:run_pause": Rule(get=NOT_ALLOWED, post=STAFF),
    "staff:run_resume": Rule(get=NOT_ALLOWED, post=STAFF),
}
