"""The plan of a deep feed page: the cursor bounds the index scan (requires Postgres)."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.pagination import keyset_filter
from forum import selectors
from forum.models import ForumPost
from forum.pagination import PostPagination
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.requires_postgres]

POSTS = 3000
DEPTH = 2500


def _scans(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _scans(child)


def test_deep_feed_page_starts_the_index_scan_at_the_cursor(author):
    authors = [make_user() for _ in range(10)]
    start = timezone.now()
    ForumPost.objects.bulk_create(
        ForumPost(user=authors[i % 10], content=f"post {i}", timestamp=start - timedelta(seconds=i))
        for i in range(POSTS)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE forum_forumpost")
        # On a few thousand rows the planner may as well read them all and sort;
        # leave it only the feed index's order, so the plan shows whether the
        # cursor bounds the scan (Index Cond) or is a filter over every newer row.
        # SET LOCAL: undone with the test's transaction.
        for plan_kind in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"SET LOCAL enable_{plan_kind} = off")
    feed = selectors.post_feed(viewer=author).order_by(*PostPagination.ordering)
    timestamp, post_id = feed.values_list("timestamp", "id")[DEPTH - 1]
    page = feed.filter(keyset_filter(PostPagination.ordering, (timestamp, post_id), forward=True))

    plan = json.loads(page[:21].explain(format="json", analyze=True))[0]["Plan"]
    scans = [node for node in _scans(plan) if node.get("Relation Name") == "forum_forumpost"]
    assert len(scans) == 1, scans
    scan = scans[0]
    assert scan["Node Type"] == "Index Scan" and scan["Index Name"] == "forum_post_feed_idx"
    assert '"timestamp" <=' in scan.get("Index Cond", ""), scan
    # Without the bound the scan reads (and filters out) the DEPTH newer posts.
    assert scan.get("Rows Removed by Filter", 0) < 100, scan
    assert [p.pk for p in page[:1]] == [feed.values_list("id", flat=True)[DEPTH]]
