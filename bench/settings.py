"""Settings of the benchmark server: the project's own, with bench/urls.py as the URLconf.

Only the benchmarks use it (DJANGO_SETTINGS_MODULE=bench.settings); it adds the bare
endpoints of bench/urls.py next to the project's URLs and changes nothing else.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
