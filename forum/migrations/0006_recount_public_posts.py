from django.db import migrations
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def recount(apps, schema_editor):
    Profile = apps.get_model("users", "Profile")
    ForumPost = apps.get_model("forum", "ForumPost")
    counted = (
        ForumPost.objects.filter(user_id=OuterRef("user_id"), privacy="public", hidden_at__isnull=True)
        .order_by()
        .values("user_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Profile.objects.update(post_count=Coalesce(Subquery(counted), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0005_search_indexes"),
        ("users", "0003_block"),
    ]

    operations = [migrations.RunPython(recount, migrations.RunPython.noop)]
