"""Checkout: checkouts/s and latency for many parallel buyers, against pgbench doing
the same stock update (the ceiling); webhooks/s.

    .venv/bin/python bench/checkout.py [--buyers 200] [--connections 40] [--processes 1]
        [--rounds 3] [--pgbench-seconds 10] [--no-write]

Needs a Postgres DATABASE_URL (a throwaway `test_<name>` database is created and
dropped). Each round, `--buyers` fresh buyers with one line in their cart check out
at once (`commerce.services.checkout.checkout`: cart lock, stock rows locked in product-id
order, the order, its reservations, then a Checkout Session made by the real
`stripe` package at a fake Stripe on 127.0.0.1), one thread each, at most
`--connections` holding a database connection at a time (the machine's
PostgreSQL has 100 for everyone), in one process or, with `--processes N`, in N
forked processes of `--connections / N` threads each, as a server runs several
workers (one process's threads share one GIL):

- scarce: every buyer wants the same product, of which there are `--scarce-units`;
  exactly that many orders must come out, the rest `out_of_stock`;
- plentiful: each buyer wants a different product, of which there are plenty.

The ceiling: pgbench with `--connections` clients running the stock update a
checkout makes (`SELECT ... FOR UPDATE` of the stock row, then `reserved =
reserved + 1`) in a transaction, on one row (scarce) or on a random one of
`--buyers` rows (plentiful), for `--pgbench-seconds`.

Stripe's part alone: as many Checkout Sessions as buyers, each as a checkout
makes it (the real `stripe` package, the fake Stripe), on the same threads and
processes, with no database: an upper bound on checkouts/s here, whatever the
shop's own code costs.

CPU: for each case, the CPU milliseconds spent per checkout (or pgbench
transaction) by the machine, the checking-out process (or pgbench's client),
PostgreSQL and the fake Stripe (`bench/cpu.py`): where the cores went.

Webhooks: `checkout.session.completed` for each plentiful order, signed as Stripe
signs, through `commerce.services.webhooks.handle_webhook` on 8 threads: paid, stock sold,
notification and receipt queued (tasks eager, email to memory).

Appends the results to BENCHMARKS.md unless --no-write.
"""

import argparse
import datetime
import json
import multiprocessing
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "BENCHMARKS.md"
sys.path.insert(0, str(BASE_DIR))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--connections", type=int, default=40)
    parser.add_argument("--scarce-units", type=int, default=50)
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="checking-out processes (forked), sharing the --connections threads",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--no-write", action="store_true", help="print, do not append")
    return parser.parse_args()


ARGS = parse_args()
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("bench/checkout.py needs a Postgres DATABASE_URL")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("LOG_LEVEL", "ERROR")
warnings.filterwarnings("ignore", "No directory at")

import django  # noqa: E402

django.setup()

from decimal import Decimal  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from bench.cpu import CpuMeter  # noqa: E402
from commerce import payments  # noqa: E402
from commerce.models import Cart, CartItem, Order, Product, Stock  # noqa: E402
from commerce.services.catalogue import create_product  # noqa: E402
from commerce.services.checkout import checkout  # noqa: E402
from commerce.services.webhooks import handle_webhook  # noqa: E402
from core.exceptions import Conflict  # noqa: E402
from tests.commerce.fake_stripe import sign  # noqa: E402

User = get_user_model()
FAKE_STRIPE_PID: dict[str, int] = {}
_round = iter(range(10**9))


def buyers_with(products: list) -> list:
    """One fresh buyer per product given, each with one unit of it in the cart."""
    n = next(_round)
    users = User.objects.bulk_create(
        User(email=f"b{n}-{i}@bench.example", username=f"b{n}_{i}", password="!")
        for i in range(len(products))
    )
    carts = Cart.objects.bulk_create(Cart(user=user) for user in users)
    CartItem.objects.bulk_create(
        CartItem(cart=cart, product=product, quantity=1)
        for cart, product in zip(carts, products, strict=True)
    )
    return users


def check_out(user) -> str:
    checkout(user=user)
    return "ordered"


def session_alone(n: int) -> str:
    """A Checkout Session of one line made at the fake Stripe, as a checkout
    makes it, with no database: what Stripe's part alone costs."""
    order_id = str(uuid.uuid4())
    payments.create_checkout_session(
        order_id=order_id,
        order_number=f"SH-BENCH-{n}",
        email=f"b{n}@bench.example",
        currency=settings.SHOP_CURRENCY,
        lines=[payments.CheckoutLine(name=f"P{n}", unit_amount=500, quantity=1)],
        expires_at=int(time.time()) + 1800,
        success_url=settings.CHECKOUT_SUCCESS_URL,
        cancel_url=settings.CHECKOUT_CANCEL_URL,
    )
    return "session"


def serve(users: list, threads: int, work=check_out, ready=None) -> tuple[list, list, float]:
    """`users` checking out on `threads` worker threads (each opening its
    database connection before the start and keeping it, as a running
    server's workers do), all let go at once (after `ready()`, if given):
    latencies (ms), outcomes and wall seconds."""
    queue = list(reversed(users))
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)
    latencies, outcomes = [], []

    def worker():
        connection.ensure_connection()  # opened before the start, as a warm server's are
        start.wait()
        while True:
            with lock:
                if not queue:
                    break
                user = queue.pop()
            began = time.perf_counter()
            try:
                outcome = work(user)
            except Conflict as exc:
                outcome = exc.code
            except Exception as exc:  # reported
                outcome = type(exc).__name__
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)
                outcomes.append(outcome)
        connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    if ready is not None:
        ready()
    start.wait()
    began = time.perf_counter()
    for thread in pool:
        thread.join()
    return latencies, outcomes, time.perf_counter() - began


def _child(users, threads, work, barrier, results) -> None:
    latencies, outcomes, _ = serve(users, threads, work, ready=barrier.wait)
    results.put((latencies, outcomes))


def race(users: list, work=check_out) -> dict:
    """Every buyer checks out at once: `--connections` worker threads in all,
    in one process or shared among `--processes` forked ones (as a server
    runs several workers), the buyers dealt out among them."""
    meter = CpuMeter(others=FAKE_STRIPE_PID)
    if ARGS.processes == 1:
        latencies, outcomes, wall = serve(users, ARGS.connections, work)
    else:
        connections.close_all()  # each process opens its own
        context = multiprocessing.get_context("fork")
        barrier = context.Barrier(ARGS.processes + 1)
        results = context.Queue()
        threads = max(1, ARGS.connections // ARGS.processes)
        children = [
            context.Process(
                target=_child,
                args=(users[n :: ARGS.processes], threads, work, barrier, results),
            )
            for n in range(ARGS.processes)
        ]
        for child in children:
            child.start()
        barrier.wait()
        began = time.perf_counter()
        latencies, outcomes = [], []
        for _ in children:
            some_latencies, some_outcomes = results.get()
            latencies += some_latencies
            outcomes += some_outcomes
        wall = time.perf_counter() - began
        for child in children:
            child.join()
    latencies.sort()
    return {
        "cpu_ms": per_unit(meter.spent(), len(users)),
        "per_second": len(users) / wall,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "outcomes": {o: outcomes.count(o) for o in set(outcomes)},
    }


def pgbench(db: dict, *, rows: int) -> dict:
    """tps and latency of the checkout's stock update, as pgbench runs it."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_ids")
        cursor.execute(
            "CREATE TABLE bench_ids AS SELECT row_number() OVER (ORDER BY product_id) AS n,"
            " product_id AS id FROM commerce_stock WHERE on_hand >= 1000000"
        )
        cursor.execute("CREATE UNIQUE INDEX ON bench_ids (n)")
    script = (
        f"\\set n random(1, {rows})\n"
        "BEGIN;\n"
        "SELECT on_hand, reserved FROM commerce_stock"
        " WHERE product_id = (SELECT id FROM bench_ids WHERE n = :n) FOR UPDATE;\n"
        "UPDATE commerce_stock SET reserved = reserved + 1"
        " WHERE product_id = (SELECT id FROM bench_ids WHERE n = :n);\n"
        "END;\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stock.sql"
        path.write_text(script)
        env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
        command = [
            "pgbench", "-n", "-h", db["HOST"], "-p", str(db["PORT"] or 5432),
            "-U", db["USER"], "-c", str(ARGS.connections), "-j", "2",
            "-T", str(ARGS.pgbench_seconds), "-l", f"--log-prefix={tmp}/log",
            "-f", str(path), db["NAME"],
        ]  # fmt: skip
        meter = CpuMeter()
        out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
        spent = meter.spent()
        latencies = sorted(
            int(line.split()[2]) / 1000
            for log in Path(tmp).glob("log*")
            for line in log.read_text().splitlines()
        )
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    transactions = int(re.search(r"number of transactions actually processed: (\d+)", out).group(1))
    return {
        "cpu_ms": per_unit(spent, transactions),
        "per_second": tps,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99)],
    }


def per_unit(spent: dict, units: int) -> dict:
    """CPU milliseconds per checkout (or transaction), by who spent them."""
    return {name: seconds * 1000 / units for name, seconds in spent.items()}


def completed_event(order, n: int) -> dict:
    """The `checkout.session.completed` Stripe sends once the order is paid."""
    return {
        "id": f"evt_bench_{order.pk.hex}",
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "data": {
            "object": {
                "id": order.stripe_session_id,
                "object": "checkout.session",
                "client_reference_id": str(order.pk),
                "metadata": {"order_id": str(order.pk)},
                "status": "complete",
                "payment_status": "paid",
                "payment_intent": f"pi_bench_{order.pk.hex}",
                "amount_total": int(order.total * 100),
                "currency": order.currency,
            }
        },
    }


def webhooks(orders: list) -> float:
    secret = settings.STRIPE_WEBHOOK_SECRET
    deliveries = []
    for n, order in enumerate(orders):
        body = json.dumps(completed_event(order, n)).encode()
        deliveries.append((body, sign(body, secret)))
    chunks = [deliveries[i::8] for i in range(8)]

    def run(chunk):
        for body, signature in chunk:
            assert handle_webhook(payload=body, signature=signature) == "paid"
        connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(deliveries) / (time.perf_counter() - began)


class FakeStripeProcess:
    """The fake Stripe in a process of its own, so it takes no turn at this one's GIL."""

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.commerce.fake_stripe"],
            cwd=BASE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self.process.stdout.readline().strip()
        FAKE_STRIPE_PID["fake stripe"] = self.process.pid

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)


def main() -> None:
    load = os.getloadavg()[0]
    names = setup_databases(verbosity=0, interactive=False)
    fake = FakeStripeProcess()
    settings.STRIPE_SECRET_KEY = "sk_test_bench"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_bench"
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.SHOP_MAX_CART_LINES = 10
    results = {
        "scarce": [],
        "plentiful": [],
        "sessions": [],
        "pg_scarce": [],
        "pg_plentiful": [],
        "hooks": [],
    }
    try:
        db = dict(settings.DATABASES["default"])
        for _ in range(ARGS.rounds):
            scarce = create_product(
                name="Scarce", price=Decimal("9.00"), stock_on_hand=ARGS.scarce_units
            )
            run = race(buyers_with([scarce] * ARGS.buyers))
            stock = Stock.objects.get(pk=scarce.pk)
            assert run["outcomes"] == {
                "ordered": ARGS.scarce_units,
                "out_of_stock": ARGS.buyers - ARGS.scarce_units,
            }, run["outcomes"]
            assert (
                stock.reserved
                == ARGS.scarce_units
                == Order.objects.filter(items__product=scarce).count()
            )
            results["scarce"].append(run)

            plenty = [
                create_product(name=f"P{i}", price=Decimal("5.00"), stock_on_hand=10**6)
                for i in range(ARGS.buyers)
            ]
            run = race(buyers_with(plenty))
            assert run["outcomes"] == {"ordered": ARGS.buyers}, run["outcomes"]
            results["plentiful"].append(run)
            run = race(list(range(ARGS.buyers)), session_alone)
            assert run["outcomes"] == {"session": ARGS.buyers}, run["outcomes"]
            results["sessions"].append(run)
            orders = list(Order.objects.filter(items__product__in=plenty))
            results["hooks"].append(webhooks(orders))
            Product.objects.filter(pk__in=[p.pk for p in plenty]).update(is_active=False)
            Stock.objects.filter(pk__in=[p.pk for p in plenty]).update(on_hand=999_999)

            # The ceiling on rows set aside for it (on hand >= 1,000,000).
            pg_rows = [
                create_product(name=f"G{i}", price=Decimal("1.00"), stock_on_hand=10**7)
                for i in range(ARGS.buyers)
            ]
            results["pg_scarce"].append(pgbench(db, rows=1))
            results["pg_plentiful"].append(pgbench(db, rows=ARGS.buyers))
            Stock.objects.filter(pk__in=[p.pk for p in pg_rows]).update(on_hand=999_999)
    finally:
        fake.stop()
        connection.close()
        teardown_databases(names, verbosity=0)
    report(results, load)


def med(runs: list, key: str) -> float:
    return statistics.median(r[key] for r in runs)


def cpu_rows(results: dict) -> list[str]:
    rows = []
    for name, key in (
        ("checkout, scarce", "scarce"),
        ("checkout, plentiful", "plentiful"),
        ("Checkout Sessions alone", "sessions"),
        ("pgbench, scarce", "pg_scarce"),
        ("pgbench, plentiful", "pg_plentiful"),
    ):
        cpu = [run["cpu_ms"] for run in results[key]]

        def ms(who, cpu=cpu):
            values = [c[who] for c in cpu if who in c]
            return f"{statistics.median(values):.2f}" if values else "-"

        rows.append(
            f"| {name} | {ms('machine')} | {ms('this process')} | {ms('postgres')} |"
            f" {ms('fake stripe')} |"
        )
    return rows


def report(results: dict, load: float) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=BASE_DIR
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        cwd=BASE_DIR,
    ).stdout.strip()
    rows = []
    for name, ours, ceiling in (
        (f"scarce (one product, {ARGS.scarce_units} units)", "scarce", "pg_scarce"),
        ("plentiful (a product each)", "plentiful", "pg_plentiful"),
        ("its Checkout Sessions alone (no database)", "sessions", "pg_plentiful"),
    ):
        a, b = results[ours], results[ceiling]
        rows.append(
            f"| {name} | {med(a, 'per_second'):,.0f} | {med(a, 'p50'):.1f} | "
            f"{med(a, 'p99'):.1f} | {med(b, 'per_second'):,.0f} | {med(b, 'p50'):.1f} | "
            f"{med(b, 'p99'):.1f} | {med(a, 'per_second') / med(b, 'per_second'):.2f} |"
        )
    entry = f"""
### Checkout, {datetime.date.today().isoformat()}

- command: `python bench/checkout.py --buyers {ARGS.buyers} --connections {ARGS.connections} --processes {ARGS.processes} --scarce-units {ARGS.scarce_units} --rounds {ARGS.rounds} --pgbench-seconds {ARGS.pgbench_seconds}`
- machine: {os.cpu_count()} cores (load average {load:.2f} before the run), Python {platform.python_version()}, commit {commit}{" with uncommitted changes" if dirty else ""}
- database: Postgres; Stripe: the fake (`tests/commerce/fake_stripe.py`, its own process) on 127.0.0.1, through the real `stripe` package; in-process (`commerce.services.checkout.checkout`, no HTTP in front)
- {ARGS.buyers} buyers at once per round, served by {ARGS.connections} worker threads in {ARGS.processes} process(es), each thread keeping its database connection (the fake Stripe in its own process); pgbench: {ARGS.connections} clients for {ARGS.pgbench_seconds}s, `SELECT ... FOR UPDATE` + `UPDATE commerce_stock SET reserved = reserved + 1` per transaction; medians over {ARGS.rounds} rounds
- every scarce round sold exactly {ARGS.scarce_units} units ({ARGS.buyers - ARGS.scarce_units} `out_of_stock`), no deadlock, no error

| case | checkouts/s | p50 ms | p99 ms | pgbench tps | pgbench p50 ms | pgbench p99 ms | checkout / pgbench |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}

CPU per checkout (or pgbench transaction), ms, medians over the rounds: where the 2 cores went ("machine" is every process, these and the rest):

| case | machine | the checking-out process (or pgbench's client) | PostgreSQL | the fake Stripe |
| --- | ---: | ---: | ---: | ---: |
{chr(10).join(cpu_rows(results))}

Webhooks (`checkout.session.completed`, verified, deduplicated, paid, stock sold, notification delivered and receipt sent in-process), 8 threads: {statistics.median(results["hooks"]):,.0f}/s (median).
"""  # noqa: E501
    print(entry)
    if not ARGS.no_write:
        with RESULTS.open("a") as out:
            out.write(entry)


if __name__ == "__main__":
    main()
