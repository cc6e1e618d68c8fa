"""Chat fan-out over the real socket: send-to-receipt latency at every recipient socket.

One run against daphne (started here, on a throwaway database): `--users` users
with `--devices` sockets each (1,000 sockets by default) open first, then a
direct conversation per pair of the first 200 users and groups of 10, 100 and
500. For each, `--messages` messages are sent as `chat.message.sent` frames at
`--rate` per second from random members; every `chat.message.new` frame at every
participant's every socket (the sender's included) is timed from the send.
With `--servers N`, N daphne processes share the database and Redis, and device d
of the i-th user connects to server (i + d) % N. Reported per scenario: p50 / p99
latency, sustained messages/s and deliveries/s,
and delivery (received / expected, each (message, socket) counted once; a
duplicate counts as a failure). Beside it, the ceiling: a bare Redis PUBLISH of a
frame of the same size to as many subscriber connections at the same rate.

    createdb is not needed: the database is made and dropped here (Postgres).
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/platform \\
    REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python bench/chat_fanout.py
"""

import argparse
import asyncio
import datetime
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "BENCHMARKS.md"
LOG = Path(os.environ.get("BENCH_SERVER_LOG", "/tmp/chat_fanout_daphne.log"))
sys.path.insert(0, str(BASE_DIR))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--devices", type=int, default=2, help="sockets per user")
    parser.add_argument("--messages", type=int, default=30, help="per scenario")
    parser.add_argument("--rate", type=float, default=10.0, help="messages sent per second")
    parser.add_argument("--groups", default="10,100,500", help="group sizes")
    parser.add_argument("--timeout", type=float, default=60.0, help="per scenario, seconds")
    parser.add_argument(
        "--servers", type=int, default=1, help="daphne processes; a user's sockets spread over them"
    )
    parser.add_argument("--no-write", action="store_true", help="print, do not append")
    return parser.parse_args()


ARGS = parse_args()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Frames per socket per second are bounded by the gateway's rate limit: senders
# here stay far below it (one frame per message, spread over many members).
warnings.filterwarnings("ignore", "No directory at")

import django  # noqa: E402

django.setup()

import redis.asyncio as aioredis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from core.runtime import tune_garbage_collector  # noqa: E402

CLIENT_GC_THRESHOLDS = (50_000, 20, 20)

User = get_user_model()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(name: str) -> str:
    base, _, _ = os.environ["DATABASE_URL"].rpartition("/")
    return f"{base}/{name}"


def start_daphne(db_name: str, index: int = 0) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(db_name),
        "CELERY_TASK_ALWAYS_EAGER": "true",
        # As docker-compose.yml runs it: a connection per database call instead
        # serialises 1,000 handshakes behind Postgres's fork per connection.
        "DB_POOL_MIN_SIZE": os.environ.get("DB_POOL_MIN_SIZE", "2"),
        "DB_POOL_MAX_SIZE": os.environ.get("DB_POOL_MAX_SIZE", "10"),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "config.asgi:application",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=open(LOG.with_suffix(f".{index}.log") if index else LOG, "wb"),  # noqa: SIM115  (the server's, closed with it)
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health/", timeout=1):
                return process, url
        except OSError:
            time.sleep(0.1)
    stop(process)
    raise SystemExit("daphne did not start")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def make_users(count: int) -> list:
    joined = timezone.now() - datetime.timedelta(seconds=1)
    users = [
        User(email=f"chat{i}@bench.example", username=f"chat{i}", password="!", date_joined=joined)
        for i in range(count)
    ]
    User.objects.bulk_create(users, batch_size=5000)
    from users.models import Profile

    Profile.objects.bulk_create([Profile(user=u) for u in users], batch_size=5000)
    return users


def make_conversations(users: list, group_sizes: list[int]) -> list[tuple[str, str, list]]:
    """(scenario, conversation id, member user ids) each."""
    from chat import services

    scenarios = []
    pairs = min(100, len(users) // 2)
    for i in range(pairs):
        a, b = users[2 * i], users[2 * i + 1]
        conversation, _ = services.start_direct(user=a, other_id=b.pk)
        scenarios.append(("direct", str(conversation.pk), [str(a.pk), str(b.pk)]))
    for size in group_sizes:
        members = users[:size]
        group = services.create_group(
            creator=members[0],
            title=f"group of {size}",
            participant_ids=[u.pk for u in members[1:]],
        )
        scenarios.append((f"group of {size}", str(group.pk), [str(u.pk) for u in members]))
    connection.close()  # this thread's, so the database can be dropped at the end
    return scenarios


class Client:
    """Every socket of the run, and what each received."""

    def __init__(self):
        self.sockets: dict[str, list] = {}
        self.sent_at: dict[str, float] = {}
        self.receipts: dict[str, dict[int, float]] = {}
        self.duplicates = 0
        self.readers: list[asyncio.Task] = []
        self.conversation_events: dict[int, int] = {}
        self.conversation_bytes = 0  # the largest `chat.conversation.updated` frame

    async def settled(self, scenarios: list, timeout: float) -> float:
        """Wait until every socket has had `chat.conversation.updated` for each
        conversation its user was put in (a 500-member group's creation sends each
        of them the whole member list), so the scenarios time messages, not that
        backlog. Returns the seconds it took."""
        expected: dict[int, int] = {}
        for _, _, members in scenarios:
            for member in members:
                for index, _ in self.sockets[member]:
                    expected[index] = expected.get(index, 0) + 1
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if all(self.conversation_events.get(i, 0) >= n for i, n in expected.items()):
                break
            await asyncio.sleep(0.05)
        return time.perf_counter() - start

    async def open(self, bases: list[str], users: list, devices: int) -> None:
        """Device d of the i-th user on server (i + d) % len(bases): with two servers
        and two devices, every user has a socket on each."""

        async def one(position, user, device):
            base = bases[(position + device) % len(bases)]
            ws_url = base.replace("http://", "ws://") + "/ws/"
            token = str(AccessToken.for_user(user))
            ws = await connect(
                ws_url, subprotocols=["bearer", token], origin=base, open_timeout=60, max_queue=None
            )
            index = len(self.readers)
            self.readers.append(asyncio.create_task(self.read(ws, index)))
            self.readers.append(asyncio.create_task(self.heartbeat(ws)))
            self.sockets.setdefault(str(user.pk), []).append((index, ws))

        batch = 50
        pending = [(i, user, d) for d in range(devices) for i, user in enumerate(users)]
        for start in range(0, len(pending), batch):
            await asyncio.gather(*(one(*args) for args in pending[start : start + batch]))

    async def heartbeat(self, ws) -> None:
        """`ping` every PRESENCE_TTL/3, as clients do: the user stays online, so no
        chat notification is due (all of them are online for the whole run)."""
        interval = settings.REALTIME["PRESENCE_TTL_SECONDS"] / 3
        while True:
            await asyncio.sleep(interval * (0.5 + random.random() / 2))
            await ws.send('{"type": "ping"}')

    async def read(self, ws, index: int) -> None:
        async for raw in ws:
            now = time.perf_counter()
            if '"chat.conversation.updated"' in raw[:50]:
                self.conversation_events[index] = self.conversation_events.get(index, 0) + 1
                self.conversation_bytes = max(self.conversation_bytes, len(raw))
                continue
            if '"chat.message.new"' not in raw[:40]:
                continue
            ref = json.loads(raw)["data"].get("client_ref")
            got = self.receipts.setdefault(ref, {})
            if index in got:
                self.duplicates += 1
            else:
                got[index] = now

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        for pairs in self.sockets.values():
            for _, ws in pairs:
                await ws.close()


async def run_scenario(client: Client, name: str, conversations: list, messages: int, rate: float):
    """Send `messages` spread over `conversations` (id, members); time every receipt."""
    expected = 0
    refs = []
    start = time.perf_counter()
    for i in range(messages):
        conversation_id, members = conversations[i % len(conversations)]
        sender = random.choice(members)
        ref = f"{name}-{i}-{random.random()}"
        refs.append((ref, members))
        expected += sum(len(client.sockets[m]) for m in members)
        _, ws = client.sockets[sender][0]
        client.sent_at[ref] = time.perf_counter()
        frame = {
            "type": "chat.message.sent",
            "ref": ref,
            "data": {"conversation_id": conversation_id, "body": f"bench {i}", "client_ref": ref},
        }
        try:
            await ws.send(json.dumps(frame))
        except Exception as exc:  # a socket the server closed: counted as undelivered
            print(f"send failed on a closed socket: {exc!r}", flush=True)
        await asyncio.sleep(max(0.0, start + (i + 1) / rate - time.perf_counter()))
    deadline = time.perf_counter() + ARGS.timeout
    while time.perf_counter() < deadline:
        got = sum(len(client.receipts.get(ref, {})) for ref, _ in refs)
        if got >= expected:
            break
        await asyncio.sleep(0.05)
    latencies, last = [], start
    for ref, _ in refs:
        for at in client.receipts.get(ref, {}).values():
            latencies.append((at - client.sent_at[ref]) * 1000)
            last = max(last, at)
    received = len(latencies)
    elapsed = max(last - start, 1e-9)
    return {
        "scenario": name,
        "members": max(len(m) for _, m in conversations),
        "messages": messages,
        "expected": expected,
        "received": received,
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "msgs_per_s": messages / elapsed,
        "deliveries_per_s": received / elapsed,
    }


async def redis_ceiling(subscribers: int, messages: int, rate: float, size: int) -> dict:
    """A bare PUBLISH to `subscribers` connections, each subscribed to one channel."""
    url = os.environ["REDIS_URL"]
    channel = f"bench:ceiling:{os.getpid()}"
    clients, pubsubs, receipts = [], [], {}

    async def listen(pubsub, index):
        async for message in pubsub.listen():
            if message["type"] != "message":
                continue
            now = time.perf_counter()
            ref = message["data"][:32].decode().split("|")[0]
            receipts.setdefault(ref, {})[index] = now

    tasks = []
    for index in range(subscribers):
        client = aioredis.Redis.from_url(url)
        pubsub = client.pubsub()
        await pubsub.subscribe(channel)
        clients.append(client)
        pubsubs.append(pubsub)
        tasks.append(asyncio.create_task(listen(pubsub, index)))
    publisher = aioredis.Redis.from_url(url)
    await asyncio.sleep(0.2)  # let every subscription settle
    sent_at = {}
    start = time.perf_counter()
    for i in range(messages):
        ref = f"m{i}"
        sent_at[ref] = time.perf_counter()
        await publisher.publish(channel, (f"{ref}|".ljust(size, "x")).encode())
        await asyncio.sleep(max(0.0, start + (i + 1) / rate - time.perf_counter()))
    deadline = time.perf_counter() + ARGS.timeout
    while time.perf_counter() < deadline:
        if sum(len(r) for r in receipts.values()) >= subscribers * messages:
            break
        await asyncio.sleep(0.05)
    latencies = [(at - sent_at[ref]) * 1000 for ref, got in receipts.items() for at in got.values()]
    for task in tasks:
        task.cancel()
    for pubsub, client in zip(pubsubs, clients, strict=True):
        await pubsub.aclose()
        await client.aclose()
    await publisher.aclose()
    return {
        "expected": subscribers * messages,
        "received": len(latencies),
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
    }


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def render(results: list[dict], load_before: float, load_after: float, users: int) -> str:
    layer = settings.CHANNEL_LAYERS["default"]
    lines = [
        f"### Chat fan-out, {datetime.date.today().isoformat()}",
        "",
        f"`{' '.join(['.venv/bin/python', 'bench/chat_fanout.py', *sys.argv[1:]])}` "
        f"(DATABASE_URL Postgres, REDIS_URL Redis; {ARGS.servers} daphne process(es)). "
        f"{platform.machine()}, {os.cpu_count()} cores shared by the load client, "
        f"daphne, Postgres and Redis; load average {load_before:.1f} before, "
        f"{load_after:.1f} after. {users} users × {ARGS.devices} sockets = "
        f"{users * ARGS.devices} sockets open for the whole run; "
        f"{ARGS.messages} messages per scenario at {ARGS.rate:g}/s as `chat.message.sent` "
        f"frames from random members; latency from the send to each `chat.message.new` "
        f"frame at every participant's every socket (the sender's own included). "
        f"Channel layer: {layer['BACKEND'].rsplit('.', 1)[-1]}. Servers' GC_THRESHOLDS: "
        f"{','.join(map(str, settings.GC_THRESHOLDS)) or 'empty (CPython defaults)'}. Ceiling: "
        f"a bare Redis PUBLISH of a 420-byte frame to as many subscriber connections, same rate.",
        "",
        "| scenario | sockets / message | delivered | p50 ms | p99 ms | msgs/s | deliveries/s "
        "| ceiling delivered | ceiling p50 ms | ceiling p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        c = r["ceiling"]
        lines.append(
            f"| {r['scenario']} | {r['members'] * ARGS.devices} | "
            f"{r['received']}/{r['expected']} ({100 * r['received'] / r['expected']:.1f}%) | "
            f"{r['p50']:.1f} | {r['p99']:.1f} | {r['msgs_per_s']:.1f} | "
            f"{r['deliveries_per_s']:.0f} | {c['received']}/{c['expected']} | "
            f"{c['p50']:.1f} | {c['p99']:.1f} |"
        )
    lines.append("")
    lines.append(f"Duplicate receipts: {results[-1]['duplicates'] if results else 0}.")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    load_before = os.getloadavg()[0]
    connection.settings_dict["TEST"]["NAME"] = f"bench_chat_{os.getpid()}"
    old_config = setup_databases(verbosity=0, interactive=False)
    processes = []
    try:
        sizes = [int(s) for s in ARGS.groups.split(",") if s]
        users = make_users(max([ARGS.users, *sizes]))
        db_name = connection.settings_dict["NAME"]
        connection.close()
        bases = []
        for index in range(ARGS.servers):
            process, base = start_daphne(db_name, index)
            processes.append(process)
            bases.append(base)
        loop = asyncio.new_event_loop()

        async def run():
            client_users = users  # at least the largest group
            # Sockets first, conversations after: presence joins are told to those
            # who share a conversation, and nobody does yet (see BENCHMARKS.md).
            client = Client()
            await client.open(bases, client_users, ARGS.devices)
            made_at = time.perf_counter()
            scenarios = await asyncio.to_thread(make_conversations, users, sizes)
            made = time.perf_counter() - made_at
            connections.close_all()
            drained = await client.settled(scenarios, ARGS.timeout)
            # The load client holds 1,000 sockets too: its own full collections
            # would count as latency. Tuned like the server's (GC_THRESHOLDS' default),
            # whatever GC_THRESHOLDS gives the servers.
            tune_garbage_collector(CLIENT_GC_THRESHOLDS)
            print(
                f"conversations made in {made:.1f} s; their events delivered to every socket "
                f"{drained:.1f} s after ({made + drained:.1f} s in all; the largest frame "
                f"{client.conversation_bytes} bytes)",
                flush=True,
            )
            results = []
            by_kind: dict[str, list] = {}
            for name, conversation_id, members in scenarios:
                by_kind.setdefault(name, []).append((conversation_id, members))
            try:
                for name, conversations in by_kind.items():
                    result = await run_scenario(
                        client, name, conversations, ARGS.messages, ARGS.rate
                    )
                    recipients = result["members"] * ARGS.devices
                    result["ceiling"] = await redis_ceiling(
                        recipients, ARGS.messages, ARGS.rate, 420
                    )
                    result["duplicates"] = client.duplicates
                    results.append(result)
                    print(name, result, flush=True)
            finally:
                await client.close()
            return results

        results = loop.run_until_complete(run())
        loop.close()
    finally:
        for process in processes:
            stop(process)
        connections.close_all()
        teardown_databases(old_config, verbosity=0)
    entry = render(results, load_before, os.getloadavg()[0], len(users))
    print(entry)
    if not ARGS.no_write:
        with open(RESULTS, "a") as out:
            out.write("\n" + entry)


if __name__ == "__main__":
    main()
