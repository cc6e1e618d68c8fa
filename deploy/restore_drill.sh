#!/bin/sh
# Restore drill: proves a backup can be restored and served from. Restores the
# dump (the argument, or the newest in BACKUP_DIR) into a fresh database next to
# DATABASE_URL's, checks that every migration is applied and that the readiness
# checks pass against it, prints the row counts of the main tables, then drops
# the drill database (DRILL_KEEP=1 keeps it). Exit 0 only when all of that held.
#
#   DATABASE_URL=postgres://user@host:5432/platform deploy/restore_drill.sh [dump]
#
# DATABASE_URL must be a postgres:// URL without a query string; its user needs
# CREATEDB. Run from the project directory (it calls manage.py).
set -eu

: "${DATABASE_URL:?DATABASE_URL must be set}"
PYTHON=${PYTHON:-python}
BACKUP_DIR=${BACKUP_DIR:-/backups}

dump=${1:-$(ls -1 "$BACKUP_DIR"/platform-*.dump 2>/dev/null | sort | tail -n 1)}
[ -n "$dump" ] && [ -f "$dump" ] || { echo "restore drill: no dump found" >&2; exit 2; }

server_url=${DATABASE_URL%/*}
drill_db="restore_drill_$(date -u +%Y%m%d%H%M%S)_$$"
drill_url="$server_url/$drill_db"
maintenance_url="$server_url/postgres"

cleanup() {
  if [ "${DRILL_KEEP:-0}" != "1" ]; then
    psql --quiet --no-psqlrc --dbname="$maintenance_url" \
      --command="DROP DATABASE IF EXISTS \"$drill_db\" WITH (FORCE)" >/dev/null
  fi
}
trap cleanup EXIT

echo "restore drill: $dump into $drill_db"
psql --quiet --no-psqlrc --dbname="$maintenance_url" --command="CREATE DATABASE \"$drill_db\"" >/dev/null
pg_restore --exit-on-error --no-owner --no-privileges --dbname="$drill_url" "$dump"

export DATABASE_URL="$drill_url"
# The dump holds the schema of the code that restores it: nothing left to migrate.
"$PYTHON" manage.py migrate --check --noinput
"$PYTHON" manage.py shell --no-imports --command="
import json, sys
from django.apps import apps
from django.test import RequestFactory
from django.urls import resolve

response = resolve('/ready/').func(RequestFactory().get('/ready/'))
print('readiness:', response.status_code, response.content.decode())
counts = {
    model._meta.label: model._default_manager.count()
    for model in apps.get_models()
    if model._meta.app_label in {'users', 'forum', 'notifications', 'chat', 'commerce'}
}
print('rows:', json.dumps(counts, sort_keys=True))
sys.exit(0 if response.status_code == 200 else 1)
"
echo "restore drill: passed"
