"""Discover every URL pattern of the project that takes a migration, run or other object id.

Walks `get_resolver().url_patterns` recursively, so URLs added later by anyone are found without
editing the tests; `test_every_object_url_is_classified` then insists each one has an expectation.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# URL keyword -> which object of the world it names.
OBJECT_KWARGS = {
    "pk": "migration",
    "migration_id": "migration",
    "migration_pk": "migration",
    "run_id": "run",
    "run_pk": "run",
    "share_id": "share",
    "order_id": "order",
    "order_pk": "order",
    "report_id": "report",
}
# Django's own admin has its own staff-only permission system (object_id kwargs); not walked here.
SKIPPED_NAMESPACES = {"admin"}


@dataclass(frozen=True)
class Endpoint:
    name: str  # "namespace:name"
    route: str
    kwargs: tuple[str, ...]  # every keyword the URL needs (object ids and others)
    defaults: tuple[str, ...]  # keywords given by the pattern itself (not in the URL)

    @property
    def object_kwargs(self) -> dict[str, str]:
        return {k: OBJECT_KWARGS[k] for k in self.kwargs if k in OBJECT_KWARGS}


def _pattern_kwargs(pattern) -> list[str]:
    converters = getattr(pattern, "converters", None)
    if converters is not None and converters:
        return list(converters)
    regex = getattr(pattern, "regex", None)
    return list(regex.groupindex) if regex is not None else []


def _walk(patterns, namespace: str, route: str, kwargs: list[str]):
    for entry in patterns:
        here_kwargs = kwargs + _pattern_kwargs(entry.pattern)
        here_route = route + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = ":".join(x for x in (namespace, entry.namespace) if x)
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            yield from _walk(entry.url_patterns, ns, here_route, here_kwargs)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or f"<unnamed {here_route}>")
            yield Endpoint(
                name=name, route=here_route, kwargs=tuple(dict.fromkeys(here_kwargs)),
                defaults=tuple(entry.default_args or ()),
            )


def object_endpoints() -> list[Endpoint]:
    """Every URL taking at least one object id."""
    found = [e for e in _walk(get_resolver().url_patterns, "", "/", []) if e.object_kwargs]
    return sorted(found, key=lambda e: e.name)
