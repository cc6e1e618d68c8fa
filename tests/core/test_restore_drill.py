"""The backup script and the restore drill of docs/deploy.md, run for real
against the test database's Postgres server."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import UserFactory

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    user = s["USER"] or "postgres"
    auth = f"{user}:{s['PASSWORD']}" if s["PASSWORD"] else user
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ROOT / "deploy" / script), *args],
        cwd=ROOT,
        env={**os.environ, "PYTHON": sys.executable, "DATABASE_URL": _database_url(), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _drill_databases() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE 'restore_drill_%%'")
        return {row[0] for row in cursor.fetchall()}


def test_a_backup_restores_into_a_fresh_database_that_passes_readiness(tmp_path):
    UserFactory.create_batch(3)
    before = _drill_databases()

    backup = _run("backup.sh", BACKUP_DIR=str(tmp_path), BACKUP_KEEP="2")
    assert backup.returncode == 0, backup.stderr
    (dump,) = tmp_path.glob("platform-*.dump")

    drill = _run("restore_drill.sh", str(dump))

    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "readiness: 200" in drill.stdout
    assert '"users.User": 3' in drill.stdout
    assert "restore drill: passed" in drill.stdout
    assert _drill_databases() == before, "the drill database is dropped afterwards"


def test_a_damaged_dump_fails_the_drill(tmp_path):
    dump = tmp_path / "platform-20260101T000000Z.dump"
    dump.write_bytes(b"PGDMP" + b"\0" * 64)
    before = _drill_databases()

    drill = _run("restore_drill.sh", str(dump))

    assert drill.returncode != 0
    assert "restore drill: passed" not in drill.stdout
    assert _drill_databases() == before


def test_backups_beyond_the_kept_number_are_pruned(tmp_path):
    for stamp in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
        (tmp_path / f"platform-{stamp}.dump").write_bytes(b"old")

    backup = _run("backup.sh", BACKUP_DIR=str(tmp_path), BACKUP_KEEP="2")

    assert backup.returncode == 0, backup.stderr
    kept = sorted(p.name for p in tmp_path.glob("platform-*.dump"))
    assert len(kept) == 2
    assert "platform-20260103T000000Z.dump" in kept
    assert not list(tmp_path.glob("*.partial"))
