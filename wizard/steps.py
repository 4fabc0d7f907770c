"""The wizard's steps in order, and the rule that keeps them in order (enforced on every request).

`Migration.furthest_step` records how far the setup has validly got. A step's page (GET or POST) is
reachable only when `step <= furthest_step`; finishing a step moves `furthest_step` to the next one.
Views never decide this themselves: they go through `wizard.views_common.wizard_step`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from wizard.models import Migration

Step = Migration.Step

# step -> URL name of its page (all take the migration pk)
STEP_URLS: dict[int, str] = {
    Step.CONNECT: "wizard:connect",
    Step.INBOX: "wizard:inbox",
    Step.OBJECTS: "wizard:objects",
    Step.TEAMMATES: "wizard:teammates",
    Step.TICKETS: "wizard:tickets",
    Step.OPTIONS: "wizard:options",
    Step.DEMO: "wizard:demo",
    Step.PLAN: "wizard:plan",
    Step.FULL: "wizard:full",
}

# Steps whose pages hold a mapping form: leaving them with unsaved changes asks first.
MAPPING_STEPS = {Step.OBJECTS, Step.TEAMMATES, Step.TICKETS, Step.OPTIONS}

SHORT_LABELS = {
    Step.CONNECT: _("Connect"),
    Step.INBOX: _("Inbox"),
    Step.OBJECTS: _("Objects"),
    Step.TEAMMATES: _("Teammates"),
    Step.TICKETS: _("Tickets"),
    Step.OPTIONS: _("Options"),
    Step.DEMO: _("Demo"),
    Step.PLAN: _("Plan"),
    Step.FULL: _("Migration"),
}


@dataclass(frozen=True)
class StepItem:
    number: int
    label: str
    url: str | None  # None when the step is not reachable yet
    state: str  # "done" | "current" | "todo"


def step_url(migration: Migration, step: int) -> str:
    return reverse(STEP_URLS[step], args=[migration.pk])


def is_reachable(migration: Migration, step: int) -> bool:
    return step <= migration.furthest_step


# Steps whose page needs more than viewing rights (the connection form holds credentials).
EDITOR_ONLY_STEPS = {Step.CONNECT}


def step_items(migration: Migration, current: int | None, *, can_edit: bool = True) -> list[StepItem]:
    """The step indicator: every step, its link when reachable, done/current/todo."""
    items = []
    for step in Step:
        reachable = is_reachable(migration, step) and (can_edit or step not in EDITOR_ONLY_STEPS)
        if step == current:
            state = "current"
        elif step < migration.furthest_step:
            state = "done"
        else:
            state = "todo"
        items.append(StepItem(int(step), str(SHORT_LABELS[step]), step_url(migration, step) if reachable else None, state))
    return items


def advance(migration: Migration, *, past: int) -> None:
    """Record that step `past` is complete: the next step becomes reachable (never moves backwards)."""
    nxt = min(past + 1, max(Step))
    if migration.furthest_step < nxt:
        migration.furthest_step = nxt
        migration.save(update_fields=["furthest_step", "updated_at"])


def rewind(migration: Migration, *, to: int) -> None:
    """Earlier answers changed in a way that invalidates later steps (e.g. another source platform)."""
    if migration.furthest_step > to:
        migration.furthest_step = to
        migration.save(update_fields=["furthest_step", "updated_at"])
