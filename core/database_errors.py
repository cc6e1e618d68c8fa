"""What `manage.py` says when the configured database cannot be reached."""

from django.conf import settings


def explain(error: Exception) -> str | None:
    """One line naming the database and what to do, or None when the error is
    not one of the set-up mistakes below (the traceback is then shown)."""
    db = settings.DATABASES["default"]
    message = str(error)
    where = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
    if "does not exist" in message and db.get("NAME") and f'"{db["NAME"]}"' in message:
        return (
            f"database {db['NAME']!r} does not exist on {where}: create it with "
            f"`createdb -h {db.get('HOST') or 'localhost'} -U {db.get('USER') or 'postgres'} "
            f"{db['NAME']}`, or unset DATABASE_URL to use SQLite"
        )
    if "Connection refused" in message or "could not connect" in message:
        return (
            f"no database server answers on {where} (DATABASE_URL): start PostgreSQL, "
            "or unset DATABASE_URL to use SQLite"
        )
    return None
