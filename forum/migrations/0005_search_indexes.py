"""Search indexes, on Postgres only (SQLite searches by substring, unindexed).

- `forum_post_search_idx`: GIN over `forum_forumpost.search_vector`, the stored
  full-text document of a post (tags, then content).
- pg_trgm and GIN trigram indexes on `users_user.username` and
  `users_profile.display_name`, for user search by word similarity.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS forum_post_search_idx"
    " ON forum_forumpost USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS users_user_username_trgm_idx"
    " ON users_user USING gin (username gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS users_profile_display_name_trgm_idx"
    " ON users_profile USING gin (display_name gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS users_profile_display_name_trgm_idx",
    "DROP INDEX IF EXISTS users_user_username_trgm_idx",
    "DROP INDEX IF EXISTS forum_post_search_idx",
]


def _on_postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0004_post_search_document"),
        ("users", "0002_moderators_group"),
    ]

    operations = [
        migrations.RunPython(_on_postgres(FORWARD), _on_postgres(BACKWARD)),
    ]
