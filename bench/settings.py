"""Settings of the benchmark server: the project's own, with bench/urls.py as the URLconf.

Only the benchmarks use it (DJANGO_SETTINGS_MODULE=bench.settings); it adds the bare
endpoints of bench/urls.py next to the project's URLs. BENCH_DB_POOL=1 also turns on
Django's psycopg connection pool (min 2, max 4; production sets it with
DB_POOL_MAX_SIZE, see config/settings.py), to measure what it buys over a new
connection per request.
"""

import os

from config.settings import *  # noqa: F403
from config.settings import DATABASES

ROOT_URLCONF = "bench.urls"

if os.environ.get("BENCH_DB_POOL") == "1":
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections instead
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": 4}
