import django.contrib.postgres.search
from django.db import migrations, models

import forum.models


def fill_tag_names(apps, schema_editor):
    ForumPost = apps.get_model("forum", "ForumPost")
    batch = []
    tagged = (
        ForumPost.objects.filter(tags__isnull=False)
        .distinct()
        .only("id", "tag_names")
        .prefetch_related("tags")
    )
    for post in tagged.iterator(chunk_size=1000):
        post.tag_names = " ".join(sorted(tag.name for tag in post.tags.all()))
        batch.append(post)
        if len(batch) == 1000:
            ForumPost.objects.bulk_update(batch, ["tag_names"])
            batch = []
    ForumPost.objects.bulk_update(batch, ["tag_names"])


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0003_moderators_forum_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="forumpost",
            name="tag_names",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_tag_names, migrations.RunPython.noop),
        migrations.AddField(
            model_name="forumpost",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=forum.models.PostgresOnly(
                    django.contrib.postgres.search.CombinedSearchVector(
                        django.contrib.postgres.search.SearchVector(
                            "tag_names", config="english", weight="A"
                        ),
                        "||",
                        django.contrib.postgres.search.SearchVector(
                            "content", config="english", weight="B"
                        ),
                        django.contrib.postgres.search.SearchConfig("english"),
                    )
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(null=True),
            ),
        ),
    ]
