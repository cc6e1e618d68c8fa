#!/bin/sh
# One Postgres backup: a compressed custom-format dump of DATABASE_URL into
# BACKUP_DIR, named by UTC time, then all but the newest BACKUP_KEEP dumps are
# deleted. Run on a schedule (the compose `backup` service loops on it every
# BACKUP_INTERVAL_SECONDS; cron works as well). Restore with deploy/restore_drill.sh
# to prove a dump is good, or `pg_restore --clean -d <url> <dump>` to roll back.
set -eu

: "${DATABASE_URL:?DATABASE_URL must be set}"
BACKUP_DIR=${BACKUP_DIR:-/backups}
BACKUP_KEEP=${BACKUP_KEEP:-14}

mkdir -p "$BACKUP_DIR"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$BACKUP_DIR/platform-$stamp.dump"

# Written under a temporary name so a half-written dump never looks like a backup.
pg_dump --format=custom --no-owner --no-privileges --dbname="$DATABASE_URL" --file="$target.partial"
mv "$target.partial" "$target"
echo "backup written: $target ($(wc -c <"$target") bytes)"

# Keep the newest BACKUP_KEEP dumps (names sort by time).
ls -1 "$BACKUP_DIR"/platform-*.dump | sort -r | tail -n +"$((BACKUP_KEEP + 1))" | while read -r old; do
  rm -f -- "$old"
  echo "backup pruned: $old"
done
