"""Wall time of staff pages (admin changelists, the dashboard) on the forum data of
bench/generate_forum_data.py, in-process through Django's test client.

    .venv/bin/python bench/admin_pages.py [--database platform_bench]
        [--rounds 5] [--path /admin/forum/forumpost/ ...] [--exact] [--no-write]

Logs in a superuser (created if missing; a JWT for /api/ paths), then per path:
one warm-up request and `--rounds` timed ones; reports the median and the number
of SQL queries. With `--exact` the admin's big-table paginator and `show_full_result_count` are put
back to Django's defaults (an exact COUNT(*), twice), for the before/after ratio.
Appends a Markdown entry to BENCHMARKS.md unless --no-write.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DEFAULT_PATHS = [
    "/admin/forum/forumpost/",
    "/admin/forum/forumpost/?hidden=no",
    "/admin/forum/forumpost/?p=500",
    "/admin/forum/forumcomment/",
    "/admin/forum/postlike/",
    "/admin/users/user/",
    "/admin/forum/report/?status__exact=open",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="platform_bench")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--path", action="append", dest="paths")
    parser.add_argument("--exact", action="store_true", help="Django's exact counts instead")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x").rsplit("/", 1)[
        0
    ]
    os.environ["DATABASE_URL"] = f"{server}/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib import admin
    from django.core.paginator import Paginator
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from users.models import User

    settings.ALLOWED_HOSTS = ["*"]
    if args.exact:
        for model_admin in admin.site._registry.values():
            model_admin.paginator = Paginator
            model_admin.show_full_result_count = True
    staff, _ = User.objects.get_or_create(
        email="bench-admin@example.com",
        defaults={"username": "bench_admin", "is_staff": True, "is_superuser": True},
    )
    from rest_framework_simplejwt.tokens import AccessToken

    client = Client()
    client.force_login(staff)  # the admin's session
    bearer = {"Authorization": f"Bearer {AccessToken.for_user(staff)}"}  # the API's JWT
    rows = []
    for path in args.paths or DEFAULT_PATHS:
        headers = bearer if path.startswith("/api/") else {}
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        timings = []
        for _ in range(args.rounds):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        rows.append((path, statistics.median(timings), max(timings), len(queries)))
    load = os.getloadavg()[0]
    mode = "exact COUNT(*) (Django's default)" if args.exact else "estimated counts"
    if settings.DASHBOARD_CACHE_SECONDS == 0:
        mode += ", dashboard uncached"
    lines = [
        f"\n### Staff pages on {args.database}: {mode} ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)\n",
        f"`{' '.join(['.venv/bin/python', *sys.argv])}` — {os.cpu_count()} cores, "
        f"load {load:.2f}, {args.rounds} rounds, in-process test client.\n",
        "| page | median ms | max ms | queries |",
        "| --- | ---: | ---: | ---: |",
        *(f"| `{p}` | {m:.1f} | {x:.1f} | {q} |" for p, m, x, q in rows),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        with (BASE_DIR / "BENCHMARKS.md").open("a") as results:
            results.write(text)


if __name__ == "__main__":
    main()
