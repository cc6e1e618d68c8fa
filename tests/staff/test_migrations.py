"""DashboardDay moved from core to staff by state alone: the table `core_dashboardday`
(and its rows) is untouched."""

import importlib
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, migrations

from staff.models import DashboardDay


def _sql(app: str, name: str) -> list[str]:
    out = io.StringIO()
    call_command("sqlmigrate", app, name, stdout=out)
    return [
        line
        for line in out.getvalue().splitlines()
        if line.strip() and not line.startswith("--") and line not in {"BEGIN;", "COMMIT;"}
    ]


# SQLite's schema editor refuses to run inside the test's transaction.
@pytest.mark.requires_postgres
@pytest.mark.django_db
def test_the_move_runs_no_sql():
    assert _sql("core", "0002") == []
    assert _sql("staff", "0001") == []


@pytest.mark.parametrize(
    "module", ["core.migrations.0002_dashboardday_to_staff", "staff.migrations.0001_initial"]
)
def test_the_move_changes_state_alone(module):
    """On every database: the model's operations have no database side; the one
    other operation renames the content type."""
    operations = importlib.import_module(module).Migration.operations
    moves = [op for op in operations if isinstance(op, migrations.SeparateDatabaseAndState)]
    assert len(moves) == 1 and moves[0].database_operations == []
    assert all(isinstance(op, migrations.RunPython) for op in operations if op not in moves)


def test_the_model_keeps_its_table_and_constraint():
    assert DashboardDay._meta.db_table == "core_dashboardday"
    assert [c.name for c in DashboardDay._meta.constraints] == ["core_dashboardday_once"]


@pytest.mark.django_db
def test_the_content_type_follows_the_model():
    assert ContentType.objects.get_for_model(DashboardDay).app_label == "staff"
    assert "core_dashboardday" in connection.introspection.table_names()
