"""docker-compose.yml validates against the Compose Specification's JSON Schema (no Docker engine here)."""

import json
from pathlib import Path

import jsonschema
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_validates_against_spec():
    schema = json.loads((settings.SHARED_DIR / "specs" / "compose-spec.json").read_text())
    jsonschema.validate(load_compose(), schema)


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
