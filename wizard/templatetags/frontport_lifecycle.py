from django import template

from wizard.access import Level, level_for
from wizard.lifecycle import purge_schedule

register = template.Library()


@register.simple_tag(takes_context=True)
def purge_notice(context, migration) -> dict:
    """For templates/wizard/_purge_notice.html: when the data goes, and may this user purge it now."""
    user = context.get("user") or getattr(context.get("request"), "user", None)
    level = level_for(user, migration) if user is not None else None
    return {**purge_schedule(migration=migration), "can_purge": level is not None and level >= Level.OWNER}
