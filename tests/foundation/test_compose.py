"""docker-compose.yml validates against the Compose Specification's JSON Schema (no Docker engine here)."""

import hashlib
import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
# A verbatim copy of the Compose Specification's schema (origin and licence: data/README.md).
SCHEMA = Path(__file__).resolve().parent / "data" / "compose-spec.json"
SCHEMA_SHA256 = "1f91e091f16b2dd50ab8860e02bb391d22df553d91c145eacedb1b6eff9c3f0e"  # compose-spec@170098b
# The workplace's reference copy, beside the checkout; absent in a clone made elsewhere.
SHARED = ROOT.parent / "shared" / "specs" / "compose-spec.json"


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_vendored_schema_is_the_compose_specification():
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256
    if SHARED.exists():
        assert SCHEMA.read_bytes() == SHARED.read_bytes()


def test_compose_file_validates_against_spec():
    jsonschema.validate(load_compose(), json.loads(SCHEMA.read_text()))


def test_compose_has_production_services_with_healthchecks_and_volumes():
    compose = load_compose()
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    for name in ("web", "worker", "postgres", "redis"):
        assert "healthcheck" in services[name], name
    assert "volumes" in services["postgres"] and "volumes" in compose
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert "beat" in " ".join(services["beat"]["command"])
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert "DATABASE_URL" in env and "REDIS_URL" in env, name


def test_web_is_published_on_loopback_with_a_real_healthcheck():
    web = load_compose()["services"]["web"]
    assert web["ports"] == ["127.0.0.1:8000:8000"]  # the proxy on the host is the way in
    assert web["healthcheck"]["test"] == ["CMD", "python", "-m", "config.healthcheck"]
