"""Chat membership changes in large groups: what each one costs to tell.

For each group size, in-process on a throwaway database (Postgres) and the real
Redis event logs: create the group, remove one member, add one (each a
service call, timed with its on-commit publishing: every recipient's event-log
append and the channel-layer send), and the bytes of `chat.conversation.updated`
that call hands to `publish_to_users` (one event's JSON times its recipients:
what the logs store and, per device, what the sockets receive). Medians of
`--repeat` runs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/platform \\
    REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python bench/chat_membership.py
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,500", help="group sizes")
    parser.add_argument("--repeat", type=int, default=5)
    return parser.parse_args()


ARGS = parse_args()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.serializers.json import DjangoJSONEncoder  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

User = get_user_model()
UPDATED = "chat.conversation.updated"


class Told:
    """Counts what chat hands to `publish_to_users` for `chat.conversation.updated`."""

    def __init__(self):
        self.bytes = 0
        self.event_bytes = 0

    def install(self):
        from chat import events

        original = events.publish_to_users

        def counted(user_ids, event_type, data, **kwargs):
            user_ids = list(user_ids)
            if event_type == UPDATED:
                size = len(json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":")))
                self.event_bytes = size
                self.bytes += size * len(user_ids)
            return original(user_ids, event_type, data, **kwargs)

        events.publish_to_users = counted


def make_users(count: int, offset: int) -> list:
    joined = timezone.now() - datetime.timedelta(seconds=1)
    users = [
        User(
            email=f"member{offset + i}@bench.example",
            username=f"member{offset + i}",
            password="!",
            date_joined=joined,
        )
        for i in range(count)
    ]
    User.objects.bulk_create(users, batch_size=5000)
    from users.models import Profile

    Profile.objects.bulk_create([Profile(user=u) for u in users], batch_size=5000)
    return users


def measure(told: Told):
    """Start counting; the returned function stops: (ms, event bytes, bytes told)."""
    told.bytes = told.event_bytes = 0
    start = time.perf_counter()

    def stop() -> tuple[float, int, int]:
        return (time.perf_counter() - start) * 1000, told.event_bytes, told.bytes

    return stop


def once(size: int, offset: int) -> dict[str, tuple[float, int, int]]:
    """A group of `size` (its owner included, at the size limit by default):
    created; one member removed; one newcomer added."""
    from chat import services

    users = make_users(size + 1, offset)
    owner, members, newcomer = users[0], users[1:size], users[size]
    told = TOLD
    out = {}
    start = measure(told)
    group = services.create_group(
        creator=owner, title="Big group", participant_ids=[m.pk for m in members]
    )
    out["create"] = start()
    start = measure(told)
    services.remove_participant(actor=owner, conversation_id=group.pk, user_id=members[-1].pk)
    out["remove one"] = start()
    start = measure(told)
    services.add_participants(actor=owner, conversation_id=group.pk, user_ids=[newcomer.pk])
    out["add one"] = start()
    return out


TOLD = Told()


def main() -> None:
    load_before = os.getloadavg()[0]
    connection.settings_dict["TEST"]["NAME"] = f"bench_membership_{os.getpid()}"
    old_config = setup_databases(verbosity=0, interactive=False)
    TOLD.install()
    rows = []
    try:
        offset = 0
        for size in [int(s) for s in ARGS.sizes.split(",") if s]:
            samples: dict[str, list] = {}
            for _ in range(ARGS.repeat):
                for name, result in once(size, offset).items():
                    samples.setdefault(name, []).append(result)
                offset += size + 1
            for name, runs in samples.items():
                rows.append(
                    (
                        size,
                        name,
                        statistics.median(r[0] for r in runs),
                        statistics.median(r[1] for r in runs),
                        statistics.median(r[2] for r in runs),
                    )
                )
                print(rows[-1], flush=True)
    finally:
        connection.close()
        teardown_databases(old_config, verbosity=0)
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print("| group size | change | median ms | event bytes | bytes told (all recipients) |")
    print("| ---: | --- | ---: | ---: | ---: |")
    for size, name, ms, event, total in rows:
        print(f"| {size} | {name} | {ms:.1f} | {event:,.0f} | {total:,.0f} |")


if __name__ == "__main__":
    main()
