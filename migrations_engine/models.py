"""Runs, the record map, checkpoints and the journal of Front writes.

The journal protocol (why a retry never repeats a write that succeeded) is described in docs/engine.md.
In short: every imported message has an `external_id` that Front refuses to import twice, so a message
is recorded *after* its call; every comment (which Front would happily duplicate) is recorded as an
*intent* before its call and confirmed after, and an unconfirmed intent is checked against the
conversation's comments (they carry a marker) before it is ever sent again.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _new_namespace() -> str:
    return secrets.token_hex(4)


class EngineState(models.Model):
    """Per-migration engine facts that outlive runs.

    `namespace` makes our Front external ids unique across installs; `generation` moves on when a
    re-migration removed what earlier runs created, so Front's external_id dedupe does not refuse
    the new copies.
    """

    migration = models.OneToOneField("wizard.Migration", on_delete=models.CASCADE, related_name="engine_state")
    namespace = models.CharField(max_length=16, default=_new_namespace)
    generation = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"engine state of migration {self.migration_id}"

    def lineage(self) -> str:
        return f"g{self.generation}"


class RunState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    RUNNING = "running", _("Running")
    PAUSING = "pausing", _("Pausing")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


# A run in one of these states holds its migration: at most one per migration (the constraint below).
ACTIVE_RUN_STATES = (RunState.SCHEDULED, RunState.RUNNING, RunState.PAUSING, RunState.PAUSED)


class Run(models.Model):
    class Kind(models.TextChoices):
        DEMO = "demo", _("Demo")
        FULL = "full", _("Full migration")
        DELTA = "delta", _("Delta migration")
        REMIGRATION = "remigration", _("Re-migration")
        RETRY = "retry", _("Retry failed records")

    State = RunState

    # The groups every caller uses (wizard, staff, billing, CLI): named once, here.
    ACTIVE_STATES = ACTIVE_RUN_STATES
    FINISHED_STATES = (RunState.COMPLETED, RunState.FAILED, RunState.CANCELLED)
    PAUSABLE_STATES = (RunState.RUNNING, RunState.SCHEDULED)
    RESUMABLE_STATES = (RunState.PAUSED, RunState.PAUSING)
    # Runs that move the whole history into the inbox: one migration per Front inbox may have them.
    FULL_KINDS = (Kind.FULL, Kind.REMIGRATION)

    migration = models.ForeignKey("wizard.Migration", on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.SCHEDULED, db_index=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The migration's settings as they were when the run was created (never credentials).
    settings = models.JSONField(default=dict)
    # Facts learned once per run (teammate mapping, custom field names, totals): "read once per run".
    context = models.JSONField(default=dict)
    lineage = models.CharField(max_length=16, help_text="namespace of the Front ids this run writes")
    ids = models.JSONField(default=list, blank=True)  # demo with chosen ids / retry selection
    since = models.DateTimeField(null=True, blank=True)  # delta: changed since this instant

    # Incremental counters: {entity: {"total": n, "done": n, "failed": n, "skipped": n}}
    counters = models.JSONField(default=dict)
    front_calls = models.PositiveIntegerField(default=0)
    # A short time series for the progress chart: [[unix seconds, tickets handled, front calls], ...]
    series = models.JSONField(default=list)
    recent_errors = models.JSONField(default=list)

    created_at = models.DateTimeField(default=timezone.now)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    resume_at = models.DateTimeField(null=True, blank=True)  # interval window / back-off
    reason = models.TextField(blank=True)  # why paused / failed / cancelled, in plain words

    # Lease: the one task execution allowed to work on this run, renewed by its heartbeat.
    lease_owner = models.CharField(max_length=40, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The one chain of chunk tasks (docs/engine.md, "Queues and fairness"): the token the next message
    # must carry (older messages are dropped), and when it was enqueued (cleared when a chunk takes it).
    chunk_token = models.CharField(max_length=32, blank=True, default="")
    queued_at = models.DateTimeField(null=True, blank=True)
    phase = models.CharField(max_length=20, default="prepare")  # prepare | cleanup | accounts | tickets | articles | finish
    elapsed_seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["migration"],
                condition=Q(state__in=list(ACTIVE_RUN_STATES)),
                name="one_active_run_per_migration",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES


class Checkpoint(models.Model):
    """Where a run's source stream resumes: the cursor after the last fully handled page."""

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="checkpoint")
    cursor = models.JSONField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    exhausted = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"checkpoint of run {self.run_id}"


# What identifies a RecordMap row (its unique constraint): the key of the engine's upserts too.
RECORD_MAP_KEY = ["migration", "entity", "source_id"]


class RecordMap(models.Model):
    """One row per source record (ticket, contact, agent, organization), unique per migration; reports read it."""

    class Entity(models.TextChoices):
        TICKET = "ticket", _("Tickets")
        CONTACT = "contact", _("Contacts")
        AGENT = "agent", _("Agents")
        ACCOUNT = "account", _("Accounts")  # a source organization -> a Front account
        ARTICLE = "article", _("Articles")  # a help-center article -> a Front knowledge base article
        CATEGORY = "category", _("Article categories")  # a category / section / folder -> a Front KB category
        KNOWLEDGE_BASE = "kb", _("Knowledge base")  # the Front knowledge base a run created by name

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Migrated")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    # No index of its own: the unique constraint and the state index lead with it. A second one only
    # tempted the planner into reading every row of the migration while table statistics were missing.
    migration = models.ForeignKey("wizard.Migration", on_delete=models.CASCADE, related_name="record_maps",
                                  db_index=False)
    entity = models.CharField(max_length=10, choices=Entity.choices)
    source_id = models.CharField(max_length=100)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    reason = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lineage = models.CharField(max_length=16, blank=True)  # the lineage of the Front ids below
    front_id = models.CharField(max_length=64, blank=True)  # conversation / contact / teammate id
    message_ids = models.JSONField(default=list, blank=True)
    comment_ids = models.JSONField(default=list, blank=True)
    # What was last applied to the conversation (status, assignee, tags), so delta updates in place.
    applied = models.JSONField(default=dict, blank=True)
    source_url = models.CharField(max_length=500, blank=True)
    deleted_in_source = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=RECORD_MAP_KEY, name="one_record_map_per_source_record")
        ]
        indexes = [models.Index(fields=["migration", "entity", "state"], name="recordmap_state_idx")]

    def __str__(self) -> str:
        return f"{self.entity} {self.source_id}: {self.state}"


class FrontWrite(models.Model):
    """The journal: one row per message or comment written (or about to be written) to Front."""

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        COMMENT = "comment", _("Note / comment")

    class State(models.TextChoices):
        INTENT = "intent", _("About to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    # No index of its own: the unique key and the ticket index lead with it (see RecordMap.migration).
    migration = models.ForeignKey("wizard.Migration", on_delete=models.CASCADE, related_name="front_writes",
                                  db_index=False)
    run = models.ForeignKey(Run, null=True, on_delete=models.SET_NULL, related_name="writes")
    lineage = models.CharField(max_length=16)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # external_id for messages; "<lineage>:note:<ticket>:<note>" for comments. Unique per migration.
    key = models.CharField(max_length=255)
    ticket_source_id = models.CharField(max_length=100)
    source_id = models.CharField(max_length=100)
    state = models.CharField(max_length=8, choices=State.choices, default=State.INTENT)
    reason = models.TextField(blank=True)
    message_uid = models.CharField(max_length=100, blank=True)
    message_id = models.CharField(max_length=64, blank=True)
    conversation_id = models.CharField(max_length=64, blank=True)
    comment_id = models.CharField(max_length=64, blank=True)
    removed = models.BooleanField(default=False)  # its conversation was set to deleted (demo clean-up)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["migration", "key"], name="one_front_write_per_key")]
        indexes = [models.Index(fields=["migration", "ticket_source_id"], name="frontwrite_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: {self.state}"


class Schedule(models.Model):
    """Weekly windows of an interval migration (in the migration's time zone).

    Days are 0 = Monday ... 6 = Sunday; a window may wrap past Sunday (Fri 20:00 -> Mon 06:00).
    """

    migration = models.ForeignKey("wizard.Migration", on_delete=models.CASCADE, related_name="windows")
    start_day = models.PositiveSmallIntegerField()
    start_time = models.TimeField()
    end_day = models.PositiveSmallIntegerField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["start_day", "start_time"]

    def __str__(self) -> str:
        return f"window {self.start_day} {self.start_time} -> {self.end_day} {self.end_time}"
