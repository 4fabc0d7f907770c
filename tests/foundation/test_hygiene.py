"""Repository hygiene that CI enforces: models and migrations agree, migrations carry names."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
AUTO_NAME = re.compile(r"^\d{4}_auto_\d{8}_\d{4}\.py$")


@pytest.mark.django_db
def test_no_model_change_without_a_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when something is missing
        pytest.fail(f"models changed without a migration (exit {exc.code}):\n{out.getvalue()}")


def test_migrations_are_named():
    auto = [str(p.relative_to(ROOT)) for p in ROOT.glob("*/migrations/0*.py") if AUTO_NAME.match(p.name)]
    assert not auto, f"name these migrations (makemigrations --name): {auto}"
