"""Setup steps: connect, inbox, objects, teammates, tickets, options. Thin: forms in, services out."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wizard import connections, imports, services
from wizard.access import Level
from wizard.connections import ConnectionProblem
from wizard.forms import (
    FrontForm,
    InboxForm,
    ObjectsForm,
    OptionsForm,
    TicketsForm,
    source_form_class,
    source_initial,
)
from wizard.steps import Step, step_url
from wizard.views_common import render_step, wizard_step


def _source_form(migration, platform, data=None):
    saved = migration.source_config if migration.source_type == platform.key else {}
    if "file_upload" in platform.features:  # the newest accepted upload replaces the saved file
        saved = {**saved, **imports.source_config(migration=migration)}
    form_cls = source_form_class(platform.connector_cls, saved)
    return form_cls(data, prefix="source", initial=source_initial(platform.connector_cls, saved)), saved


def _front_form(migration, data=None):
    initial = {"api_url": migration.front_api_url or connections.settings.FRONT_API_URL}
    return FrontForm(data, prefix="front", initial=initial, has_saved_token=bool(migration.front_token),
                     saved_api_url=migration.front_api_url)


@wizard_step(Step.CONNECT, level=Level.EDITOR)
def connect(request, migration):
    all_platforms = connections.platforms()
    key = request.POST.get("platform") or request.GET.get("platform") or migration.source_type
    platform = connections.platform(key) if key else None
    data = request.POST if request.method == "POST" else None
    source_form = _source_form(migration, platform, data)[0] if platform else None
    front_form = _front_form(migration, data)
    outcome = None
    if request.method == "POST":
        if platform is None:
            messages.error(request, _("Choose the help desk you are moving from."))
        elif source_form.is_valid() and front_form.is_valid():
            # Nothing is stored unless both connections work; the typed (non-secret) values stay on the page.
            outcome = services.connection_save(
                migration=migration, source_type=platform.key, source_config=source_form.cleaned_data,
                front_api_url=front_form.cleaned_data["api_url"], front_token=front_form.cleaned_data["token"],
            )
            if outcome.ok:
                messages.success(request, _("Both connections work."))
                return redirect(step_url(migration, Step.INBOX))
    return render_step(request, "wizard/connect.html", Step.CONNECT, {
        "platforms": all_platforms, "platform": platform, "source_form": source_form,
        "front_form": front_form, "outcome": outcome, "sandbox": connections.sandbox_front() is not None,
    }, status=422 if outcome and not outcome.ok else 200)


@require_POST
@wizard_step(Step.CONNECT, post_level=Level.EDITOR)
def connect_test(request, migration, which: str):
    """htmx: test one connection with what is typed in the form. Saves nothing; a saved secret fills an
    empty field only while its address is unchanged (wizard/credentials.py)."""
    ok, detail = False, ""
    if which == "source":
        platform = connections.platform(request.POST.get("platform", ""))
        if platform is None:
            detail = _("Choose the help desk you are moving from.")
        else:
            form = _source_form(migration, platform, request.POST)[0]
            if form.is_valid():
                try:
                    detail = services.connection_test_source(
                        migration=migration, source_type=platform.key, typed=form.cleaned_data)
                    ok = True
                except ConnectionProblem as exc:
                    detail = str(exc)
            else:
                detail = " ".join(str(e) for errs in form.errors.values() for e in errs)
    else:
        form = _front_form(migration, request.POST)
        if form.is_valid():
            try:
                detail = services.connection_test_front(
                    migration=migration, api_url=form.cleaned_data["api_url"], typed_token=form.cleaned_data["token"])
                ok = True
            except ConnectionProblem as exc:
                detail = str(exc)
        else:
            detail = " ".join(str(e) for errs in form.errors.values() for e in errs)
    return render(request, "wizard/partials/check_result.html", {"ok": ok, "detail": detail, "which": which})


@require_POST
@wizard_step(Step.CONNECT, post_level=Level.EDITOR)
def connect_sandbox(request, migration):
    if services.connection_use_sandbox(migration=migration):
        messages.info(request, _("The offline Front sandbox is filled in. Choose your help desk and save."))
    else:
        messages.error(request, _("The offline sandbox is not running on this installation."))
    target = step_url(migration, Step.CONNECT)
    if not migration.source_type and connections.platform("sample"):
        target += "?platform=sample"
    return redirect(target)


@wizard_step(Step.INBOX, level=Level.VIEWER)
def inbox(request, migration):
    problem = None
    inboxes, mailboxes = [], []
    try:
        inboxes = connections.with_front(migration, lambda c: c.inboxes())
        mailboxes = connections.with_source(migration, lambda c: c.mailboxes())
    except ConnectionProblem as exc:
        problem = str(exc)
    bases, kb_problem = connections.knowledge_bases(migration) if not problem else (None, None)
    chosen_kb = (migration.options or {}).get("knowledge_base") or {}
    initial = {"inbox": migration.front_inbox_id, "mailbox": (migration.source_filter or {}).get("mailbox_id", ""),
               "knowledge_base": "new" if chosen_kb.get("create") else chosen_kb.get("id", ""),
               "knowledge_base_name": chosen_kb.get("create", "")}
    form = InboxForm(request.POST or None, inboxes=inboxes, mailboxes=mailboxes, knowledge_bases=bases,
                     initial=initial)
    refusal = None
    if request.method == "POST" and form.is_valid():
        inbox_id = form.cleaned_data["inbox"]
        name = dict(form.fields["inbox"].choices).get(inbox_id, inbox_id)
        refusal = services.inbox_save(
            migration=migration, inbox_id=inbox_id, inbox_name=str(name), mailbox=form.cleaned_data.get("mailbox"),
            knowledge_base=_kb_choice(form))
        if not refusal:
            return redirect(step_url(migration, Step.OBJECTS))
        form.add_error("inbox", refusal)
    taken = {i["id"]: services.inbox_refusal(migration=migration, inbox_id=i["id"]) for i in inboxes}
    return render_step(request, "wizard/inbox.html", Step.INBOX, {
        "form": form, "inboxes": inboxes, "taken": taken, "problem": problem, "mailboxes": mailboxes,
        "kb_problem": kb_problem,
    }, status=422 if refusal else 200)


def _kb_choice(form: InboxForm) -> dict[str, str] | None:
    """What the inbox step's knowledge-base choice saves (None: the source has no help center)."""
    if "knowledge_base" not in form.fields:
        return None
    picked = form.cleaned_data.get("knowledge_base") or ""
    if picked == "new":
        return {"create": form.cleaned_data["knowledge_base_name"].strip()}
    if picked:
        return {"id": picked, "name": str(dict(form.fields["knowledge_base"].choices).get(picked, picked))}
    return {}


@wizard_step(Step.OBJECTS, level=Level.VIEWER)
def objects(request, migration):
    """Counts per object, each on its own: a count the source could not give says why, with a retry
    button (htmx: only that count is asked again and its badge swapped; without JavaScript the page)."""
    problem = None
    action = request.POST.get("action") if request.method == "POST" else None
    retry = request.POST.get("retry") if request.method == "POST" and request.level >= Level.EDITOR else None
    action = "retry" if retry else action
    if action == "recount":
        migration.counts_updated_at = None
    if not migration.counts_updated_at or retry:
        try:
            services.counts_refresh(migration=migration, only=(retry,) if retry else None)
        except ConnectionProblem as exc:
            problem = str(exc)
    if retry and request.htmx:
        return render(request, "wizard/partials/object_count.html", {
            "migration": migration, "key": retry, "counts": migration.record_counts or {},
            "problems": services.count_problems(migration=migration), "can_edit": True, "problem": problem})
    selected = migration.selected_objects or {}
    chosen = [k for k in services.OBJECT_KEYS
              if selected.get(k, k in ("organizations", "contact_fields", "articles") or not selected)]
    is_save = request.method == "POST" and action not in ("recount", "retry")
    form = ObjectsForm(request.POST if is_save else None, initial={"objects": chosen})
    if is_save and form.is_valid():
        services.objects_save(migration=migration, objects=form.cleaned_data["objects"])
        return redirect(step_url(migration, Step.TEAMMATES))
    return render_step(request, "wizard/objects.html", Step.OBJECTS, {
        "form": form, "counts": migration.record_counts or {}, "problem": problem,
        "problems": services.count_problems(migration=migration),
    })


@wizard_step(Step.TEAMMATES, level=Level.VIEWER)
def teammates(request, migration):
    problem, agents, mates = None, [], []
    try:
        agents = connections.with_source(migration, lambda c: c.agents())
        mates = connections.with_front(migration, lambda c: c.teammates())
    except ConnectionProblem as exc:
        problem = str(exc)
    mate_ids = {t["id"] for t in mates}
    errors = []
    if request.method == "POST" and not problem:
        if request.POST.get("action") == "auto_match":
            suggested = services.auto_match(agents=agents, teammates=mates)
            current = {**(migration.teammate_map or {}), **suggested}
            messages.info(request, _("%(n)d of %(total)d agents matched by email or name. Check and save.")
                          % {"n": len(suggested), "total": len(agents)})
            return _teammates_page(request, migration, agents, mates, current,
                                   request.POST.get("default") or migration.default_teammate_id, problem, [], dirty=True)
        default_id = request.POST.get("default", "")
        if default_id not in mate_ids:
            errors.append(_("Choose the default teammate: they receive the tickets of unmapped or deleted agents."))
        mapping = {}
        for agent in agents:
            value = request.POST.get(f"agent-{agent.source_id}", "")
            if value and value not in mate_ids:
                errors.append(_("The teammate chosen for %(agent)s no longer exists in Front: choose again.")
                              % {"agent": agent.name or agent.email or agent.source_id})
            mapping[agent.source_id] = value
        if not errors:
            services.teammates_save(migration=migration, mapping=mapping, default_id=default_id,
                                    use_auto_match=bool(request.POST.get("auto_match_flag")))
            return redirect(step_url(migration, Step.TICKETS))
        return _teammates_page(request, migration, agents, mates, mapping, default_id, problem, errors, dirty=True)
    current = dict(migration.teammate_map or {})
    if not current and migration.auto_match and mates:
        current = services.auto_match(agents=agents, teammates=mates)
    default_id = migration.default_teammate_id or (mates[0]["id"] if mates else "")
    return _teammates_page(request, migration, agents, mates, current, default_id, problem, errors)


def _teammates_page(request, migration, agents, mates, current, default_id, problem, errors, *, dirty=False):
    rows = [{"agent": a, "selected": current.get(a.source_id, "")} for a in agents]
    named = [{"id": t["id"], "name": services.teammate_name(t), "email": t.get("email", "")} for t in mates]
    return render_step(request, "wizard/teammates.html", Step.TEAMMATES, {
        "rows": rows, "teammates": named, "default_id": default_id, "problem": problem, "errors": errors,
        "dirty": dirty,
    }, status=422 if errors else 200)


@wizard_step(Step.TICKETS, level=Level.VIEWER)
def tickets(request, migration):
    statuses = services.source_statuses(migration=migration)
    saved = migration.status_map or {}
    initial = {"status_tag": migration.status_tag, "custom_fields": migration.custom_fields}
    initial |= {f"status_{i}": saved.get(s) or services.default_state(s) for i, s in enumerate(statuses)}
    form = TicketsForm(request.POST or None, statuses=statuses, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.tickets_save(migration=migration, status_map=form.status_map(),
                              status_tag=form.cleaned_data["status_tag"], custom_fields=form.cleaned_data["custom_fields"])
        return redirect(step_url(migration, Step.OPTIONS))
    status_fields = [form[f"status_{i}"] for i in range(len(statuses))]
    return render_step(request, "wizard/tickets.html", Step.TICKETS, {"form": form, "status_fields": status_fields})


@wizard_step(Step.OPTIONS, level=Level.VIEWER)
def options(request, migration):
    platform = connections.platform(migration.source_type)
    has_calls = bool(platform and "call_recordings" in platform.features)
    opts = migration.options or {}
    initial = {**opts, "demo_ids": ", ".join(migration.demo_ids or [])}
    form = OptionsForm(request.POST or None, call_recordings=has_calls, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        services.options_save(migration=migration, tag=d["tag"], skip_attachments=d["skip_attachments"],
                              inline_images=d["inline_images"], call_recordings=d.get("call_recordings", False),
                              demo_ids=d["demo_ids"])
        return redirect(step_url(migration, Step.DEMO))
    return render_step(request, "wizard/options.html", Step.OPTIONS, {"form": form})
