"""Settings of the benchmark server: the project's own, with bench/urls.py as the URLconf.

Only the benchmarks use it (DJANGO_SETTINGS_MODULE=bench.settings); it adds the bare
endpoints of bench/urls.py next to the project's URLs. BENCH_DB_POOL=1 also turns on
Django's psycopg connection pool (needs psycopg-pool, not a project requirement), to
measure what a pool would buy over a new connection per request.
"""

import os

from config.settings import *  # noqa: F403
from config.settings import DATABASES

ROOT_URLCONF = "bench.urls"

if os.environ.get("BENCH_DB_POOL") == "1":
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections instead
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": 4}
