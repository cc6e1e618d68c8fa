"""Settings of the benchmark server: the project's own, with bench/urls.py as the URLconf.

Only the benchmarks use it (DJANGO_SETTINGS_MODULE=bench.settings); it adds the bare
endpoints of bench/urls.py next to the project's URLs. BENCH_DB_POOL=1 also turns on
the production connection pool (DB_POOL_MAX_SIZE=4, DB_POOL_MIN_SIZE=2 unless set,
see config/settings.py), to measure what it buys over a new connection per request.
"""

import os

if os.environ.get("BENCH_DB_POOL") == "1":
    os.environ.setdefault("DB_POOL_MAX_SIZE", "4")
    os.environ.setdefault("DB_POOL_MIN_SIZE", "2")

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
