"""Notifications: broadcast throughput and the delay from an action to `notification.new`.

    .venv/bin/python bench/notifications_bench.py [N] [--rounds 3] [--likes 50] [--eager]

1. Broadcast: N users (default 10,000) get a system broadcast; reported as
   notifications created per second, from the call to the broadcast being done
   (rows inserted in batches, `notification.new` published to every recipient).
2. Action to socket: a user with an open socket (the real gateway, in-process,
   over the Redis channel layer) has their post liked `--likes` times by
   different users; reported as the time from calling the like service to the
   `notification.new` frame arriving at the socket (p50, p95).
3. Single vs batched fan-out, in this process, alternating per round: the same
   broadcast run batch by batch (`notifications.services.broadcast.send_broadcast_batch`) with its
   `notification.new` events published one `publish_to_users` per recipient (how
   the fan-out published before `publish_batch`; reproduced here) or as the
   project does, `publish_batch` per batch; and the events alone, N
   `publish_to_users` against one `publish_batch`, both under one event loop as
   the broadcast runs them. `--compare-rounds 0` skips it.

Tasks run on a real Celery worker the script starts (Redis broker) when
REDIS_URL and a Postgres DATABASE_URL are set, else eagerly in-process
(`--eager` forces that). Everything runs in a throwaway database created and
dropped by the script; the Redis keys of its users are removed afterwards.
Appends the results to BENCHMARKS.md unless --no-write.
"""

import argparse
import asyncio
import datetime
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "BENCHMARKS.md"
sys.path.insert(0, str(BASE_DIR))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("users", nargs="?", type=int, default=10_000, help="broadcast recipients")
    parser.add_argument("--rounds", type=int, default=3, help="broadcasts to time")
    parser.add_argument("--likes", type=int, default=50, help="actions to time")
    parser.add_argument(
        "--compare-rounds", type=int, default=3, help="rounds of single vs batched fan-out"
    )
    parser.add_argument("--eager", action="store_true", help="run tasks in-process")
    parser.add_argument("--no-write", action="store_true", help="print, do not append")
    return parser.parse_args()


ARGS = parse_args()
USE_WORKER = (
    not ARGS.eager
    and bool(os.environ.get("REDIS_URL"))
    and os.environ.get("DATABASE_URL", "").startswith("postgres")
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false" if USE_WORKER else "true"
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
warnings.filterwarnings("ignore", "No directory at")

import django  # noqa: E402

django.setup()

from asgiref.sync import async_to_sync, sync_to_async  # noqa: E402
from channels.testing import WebsocketCommunicator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

User = get_user_model()


def database_url(name: str) -> str:
    base, _, _ = os.environ["DATABASE_URL"].rpartition("/")
    return f"{base}/{name}"


class Worker:
    """A Celery worker on the throwaway database, stopped by its process group."""

    def __init__(self, db_name: str):
        env = {
            **os.environ,
            "DATABASE_URL": database_url(db_name),
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                "2",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def make_users(count: int, prefix: str) -> list[str]:
    joined = timezone.now() - datetime.timedelta(seconds=1)
    users = [
        User(
            email=f"{prefix}{i}@bench.example",
            username=f"{prefix}{i}",
            password="!",
            date_joined=joined,
        )
        for i in range(count)
    ]
    User.objects.bulk_create(users, batch_size=5000)
    return [str(u.pk) for u in users]


def wait_for(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the worker did not finish in time")
        time.sleep(0.02)


def time_broadcasts(rounds: int) -> list[tuple[int, float]]:
    """(recipients, seconds) per broadcast."""
    from notifications.models import Broadcast
    from notifications.services.broadcast import create_broadcast

    staff = User.objects.create_user(
        email="bench-staff@bench.example", password=None, is_staff=True
    )
    durations = []
    for round_no in range(rounds):
        started = time.perf_counter()
        broadcast = create_broadcast(
            sender=staff, title=f"Bench {round_no}", body="Broadcast benchmark"
        )
        wait_for(
            lambda b=broadcast: Broadcast.objects.filter(
                pk=b.pk, status=Broadcast.Status.DONE
            ).exists(),
            timeout=1800,
        )
        elapsed = time.perf_counter() - started
        broadcast.refresh_from_db()
        durations.append((broadcast.recipient_count, elapsed))
        connection.close()
    return durations


async def time_actions(likes: int) -> list[float]:
    from config.asgi import application
    from forum import services as forum

    author = await sync_to_async(User.objects.create_user)(
        email="bench-author@bench.example", password=None, username="benchauthor"
    )
    fans = await sync_to_async(
        lambda: [
            User.objects.create_user(email=f"fan{i}@bench.example", password=None)
            for i in range(likes + 1)
        ]
    )()
    post = await sync_to_async(forum.create_post)(author=author, content="bench post")
    token = str(AccessToken.for_user(author))
    # No Origin: a native client, let in by its token.
    socket = WebsocketCommunicator(application, "/ws/", [], ["bearer", token])
    connected, _ = await socket.connect()
    assert connected, "the socket was refused"
    like = sync_to_async(forum.set_post_like)
    delays = []
    try:
        for i, fan in enumerate(fans):
            started = time.perf_counter()
            await like(user=fan, post_id=post.pk, liked=True)
            while True:
                frame = await socket.receive_json_from(timeout=30)
                if frame["type"] == "notification.new":
                    break
            if i:  # the first one warms the worker up
                delays.append((time.perf_counter() - started) * 1000)
    finally:
        await socket.disconnect()
    return delays


def publish_one_by_one(notifications, *, unread_counts: dict) -> None:
    """`notification.new` for a broadcast batch as it was published before
    `publish_batch`: one `publish_to_users` per recipient."""
    from notifications.events import NOTIFICATION_NEW
    from notifications.serializers import NotificationSerializer
    from realtime.publish import publish_to_users

    if not notifications:
        return
    shared = dict(NotificationSerializer(notifications[0]).data)
    for notification in notifications:
        publish_to_users(
            [notification.recipient_id],
            NOTIFICATION_NEW,
            {
                "notification": {**shared, "id": str(notification.pk)},
                "unread_count": unread_counts.get(str(notification.recipient_id), 1),
            },
        )


def on_one_event_loop(func):
    """Run sync `func` under one outer event loop, as a broadcast batch runs."""

    async def outer():
        return await sync_to_async(func, thread_sensitive=True)()

    return async_to_sync(outer)()


def compare_fanout(rounds: int, user_ids: list[str]) -> dict[str, list[float]]:
    """Seconds per run, by measure and mode; single and batched alternate."""
    from notifications import events
    from notifications.models import Broadcast
    from notifications.services.broadcast import send_broadcast_batch
    from realtime.publish import publish_batch, publish_to_users

    payload = {
        "notification": {"id": "0" * 36, "kind": "system", "title": "Bench", "body": "x" * 80},
        "unread_count": 1,
    }

    def events_single():
        for uid in user_ids:
            publish_to_users([uid], "bench.event.single", payload)

    def events_batched():
        publish_batch((uid, "bench.event.batched", payload) for uid in user_ids)

    fan_out = {"single": publish_one_by_one, "batched": events.notification_new_to_many}
    events_only = {"single": events_single, "batched": events_batched}
    timings = {f"{measure} {mode}": [] for measure in ("broadcast", "events") for mode in fan_out}
    original = events.notification_new_to_many
    try:
        for round_no in range(rounds):
            for mode, publish in fan_out.items():
                events.notification_new_to_many = publish
                broadcast = Broadcast.objects.create(
                    title=f"Compare {round_no} {mode}", body="Fan-out comparison"
                )
                started = time.perf_counter()
                while send_broadcast_batch(broadcast_id=broadcast.pk):
                    pass
                timings[f"broadcast {mode}"].append(time.perf_counter() - started)
                broadcast.refresh_from_db()
                timings["recipients"] = [broadcast.recipient_count]
            events.notification_new_to_many = original
            for mode, run in events_only.items():
                started = time.perf_counter()
                on_one_event_loop(run)
                timings[f"events {mode}"].append(time.perf_counter() - started)
    finally:
        events.notification_new_to_many = original
        connection.close()
    return timings


def forget_redis_keys(user_ids: list[str]) -> None:
    from realtime.backend import KEY_PREFIX, redis_client, use_redis

    if not use_redis():
        return
    client = redis_client()
    for start in range(0, len(user_ids), 5000):
        chunk = user_ids[start : start + 5000]
        client.delete(*[f"{KEY_PREFIX}:log:{uid}" for uid in chunk])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    load = os.getloadavg()[0]
    connection.settings_dict["TEST"]["NAME"] = f"bench_notifications_{os.getpid()}"
    old_config = setup_databases(verbosity=0, interactive=False)
    worker = Worker(connection.settings_dict["NAME"]) if USE_WORKER else None
    try:
        bench_ids = make_users(ARGS.users, "bench")
        connection.close()
        delays = asyncio.run(time_actions(ARGS.likes))
        timed = time_broadcasts(ARGS.rounds)
        compared = compare_fanout(ARGS.compare_rounds, bench_ids)
    finally:
        if worker is not None:
            worker.stop()
        forget_redis_keys([str(pk) for pk in User.objects.values_list("pk", flat=True)])
        connections.close_all()
        teardown_databases(old_config, verbosity=0)

    recipients = timed[0][0]
    durations = [seconds for _, seconds in timed]
    rates = [count / seconds for count, seconds in timed]
    command = (
        f"python bench/notifications_bench.py {ARGS.users} "
        f"--rounds {ARGS.rounds} --likes {ARGS.likes} --compare-rounds {ARGS.compare_rounds}"
    )
    if ARGS.eager:
        command += " --eager"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=BASE_DIR, capture_output=True, text=True
    ).stdout.strip()
    if commit and dirty:
        commit += " with uncommitted changes"
    database = "Postgres" if connection.vendor == "postgresql" else "SQLite"
    tasks = (
        "one Celery worker (prefork, concurrency 2, Redis broker)"
        if USE_WORKER
        else "eager, in-process"
    )
    batch = settings.NOTIFICATIONS["BROADCAST_BATCH_SIZE"]
    lines = [
        f"### Notifications, {datetime.date.today().isoformat()}",
        "",
        f"- command: `{command}`",
        f"- machine: {os.cpu_count()} cores (load average {load:.2f} before the run), "
        f"Python {platform.python_version()}, commit {commit or 'unknown'}",
        f"- database: {database}; Redis: {'yes' if settings.REDIS_URL else 'no'}; tasks: {tasks}",
        f"- broadcast: {recipients:,} recipients in batches of {batch:,}, {ARGS.rounds} rounds; "
        "timed from the service call to the broadcast row marked done (rows inserted, "
        "`notification.new` logged and sent for every recipient)",
        f"- action to socket: {len(delays)} likes by different users on one post; timed from "
        "calling `forum.services.set_post_like` to the `notification.new` frame at the "
        "author's socket (in-process gateway, Redis channel layer)",
        "",
        "| measure | median | min | max |",
        "| --- | ---: | ---: | ---: |",
        f"| broadcast: notifications created per second | {statistics.median(rates):,.0f} | "
        f"{min(rates):,.0f} | {max(rates):,.0f} |",
        f"| broadcast: seconds for {recipients:,} recipients | "
        f"{statistics.median(durations):.2f} | "
        f"{min(durations):.2f} | {max(durations):.2f} |",
        f"| action to `notification.new`, ms | {statistics.median(delays):.1f} | "
        f"{min(delays):.1f} | {max(delays):.1f} |",
        "",
        f"Action to `notification.new` p95: {percentile(delays, 0.95):.1f} ms.",
    ]
    if ARGS.compare_rounds:
        chunk = settings.REALTIME["PUBLISH_CHUNK_SIZE"]
        lines += [
            "",
            f"Single vs batched fan-out, in-process, {ARGS.compare_rounds} rounds alternating; "
            f"batched publishes in chunks of {chunk:,}. Broadcast: "
            f"{compared['recipients'][0]:,} "
            "recipients, rows and events, `notification.new` one `publish_to_users` per "
            f"recipient (single) or `publish_batch` per batch. Events: {len(bench_ids):,} "
            "events to as many users, nothing else, under one event loop.",
            "",
            "| measure | single, s | batched, s | single / batched |",
            "| --- | ---: | ---: | ---: |",
        ]
        for measure in ("broadcast", "events"):
            single = statistics.median(compared[f"{measure} single"])
            batched = statistics.median(compared[f"{measure} batched"])
            lines.append(
                f"| {measure} (median) | {single:.2f} | {batched:.2f} | {single / batched:.1f}x |"
            )
    report = "\n".join(lines) + "\n"
    print(report)
    if not ARGS.no_write:
        with RESULTS.open("a") as results_file:
            results_file.write("\n" + report)


if __name__ == "__main__":
    main()
