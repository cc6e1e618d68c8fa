"""Chat reads of a member added back (their gaps skipped) against a member who stayed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/platform \\
        .venv/bin/python bench/chat_gaps.py [--messages 50000] [--gaps 1,20] [--rounds 200]

One group of 20 with `--messages` messages over a year; members who stayed, and
members who were away and added back `g` times for each `g` of `--gaps` (the gaps
spread over the history, each a tenth of the messages over all). Each member also
takes part in 49 other groups with a few messages each, so the conversation list
has 50 rows. Timed in this process, median over `--rounds` runs, for each member:
the history's first page and a page halfway back (`chat.selectors.fetch_messages`,
one query each, plus the media query when a page holds images: none here), the
conversation list's page of 20 (`fetch_conversations`: the memberships with
unread counts and last visible message, then participants and last messages),
and `unread_count`. Throwaway database; appends to BENCHMARKS.md unless --no-write.
"""

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "BENCHMARKS.md"
sys.path.insert(0, str(BASE_DIR))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--gaps", default="1,20", help="gaps of each member added back")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--no-write", action="store_true", help="print, do not append")
    return parser.parse_args()


ARGS = parse_args()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["REDIS_URL"] = ""  # presence lookups stay in memory: the database is measured

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from chat.models import (  # noqa: E402
    Conversation,
    ConversationParticipant,
    Kind,
    Message,
    ParticipationGap,
    Role,
)
from chat.selectors import (  # noqa: E402
    fetch_conversations,
    fetch_messages,
    unread_count,
)

User = get_user_model()
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
YEAR = datetime.timedelta(days=365)


def build(gap_counts: list[int]) -> dict:
    members = User.objects.bulk_create(
        User(username=f"gap{i}", email=f"gap{i}@example.com", password="!") for i in range(20)
    )
    group = Conversation.objects.create(kind=Kind.GROUP, title="Big")
    n = ARGS.messages
    step = YEAR / n
    messages = Message.objects.bulk_create(
        (
            Message(
                conversation=group,
                sender=members[i % 2],
                body=f"message {i}",
                created_at=START + step * i,
            )
            for i in range(n)
        ),
        batch_size=5000,
    )
    group.last_message = messages[-1]
    group.last_activity_at = messages[-1].created_at
    group.save()
    who = {"stayed": members[2]}
    participants = [
        ConversationParticipant(conversation=group, user=m, joined_at=START, role=Role.MEMBER)
        for m in members
    ]
    for index, gaps in enumerate(gap_counts):
        who[f"back after {gaps} gap{'s' if gaps > 1 else ''}"] = members[3 + index]
    ConversationParticipant.objects.bulk_create(participants)
    rows = []
    for index, gaps in enumerate(gap_counts):
        participant = ConversationParticipant.objects.get(
            conversation=group, user=members[3 + index]
        )
        # `gaps` stretches spread evenly, a tenth of the year in all.
        length = YEAR / 10 / gaps
        for g in range(gaps):
            started = START + YEAR * (g + 0.5) / (gaps + 1)
            rows.append(
                ParticipationGap(
                    participant=participant, started_at=started, ended_at=started + length
                )
            )
        participant.has_gaps = True
        participant.joined_at = rows[-1].ended_at
        participant.last_read_message = messages[-50]
        participant.save()
    ParticipationGap.objects.bulk_create(rows)
    ConversationParticipant.objects.filter(conversation=group, has_gaps=False).update(
        last_read_message=messages[-50]
    )
    # 49 other groups of the same 20, a few messages each: a list page of 20 rows.
    for k in range(49):
        other = Conversation.objects.create(kind=Kind.GROUP, title=f"g{k}")
        last = Message.objects.bulk_create(
            Message(conversation=other, sender=members[0], body="x", created_at=START + step * k)
            for _ in range(3)
        )[-1]
        other.last_message = last
        other.last_activity_at = last.created_at
        other.save()
        ConversationParticipant.objects.bulk_create(
            ConversationParticipant(conversation=other, user=m, joined_at=START) for m in members
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"group": group, "who": who, "deep": messages[n // 2]}


def timed(func) -> float:
    func()  # warm
    samples = []
    for _ in range(ARGS.rounds):
        began = time.perf_counter()
        func()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def measure(world: dict) -> list[tuple]:
    results = []
    deep = world["deep"]
    for name, user in world["who"].items():
        participation = ConversationParticipant.objects.select_related("last_read_message").get(
            conversation=world["group"], user=user
        )
        results.append(
            (
                name,
                timed(
                    lambda p=participation: fetch_messages(
                        participation=p, before=None, after=None, limit=51
                    )
                ),
                timed(
                    lambda p=participation: fetch_messages(
                        participation=p, before=deep, after=None, limit=51
                    )
                ),
                timed(
                    lambda u=user: fetch_conversations(
                        viewer=u, cursor=None, backward=False, limit=21
                    )
                ),
                timed(lambda p=participation: unread_count(p)),
            )
        )
    return results


def render(results: list[tuple], load: tuple[float, float]) -> str:
    today = datetime.date.today().isoformat()
    lines = [
        f"### Chat reads of members added back, {today}",
        "",
        "```sh",
        "DATABASE_URL=postgres://... .venv/bin/python bench/chat_gaps.py "
        + f"--messages {ARGS.messages} --gaps {ARGS.gaps} --rounds {ARGS.rounds}",
        "```",
        "",
        f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
        f"Postgres; load average {load[0]:.2f} before, {load[1]:.2f} after. One group of 20 with "
        f"{ARGS.messages:,} messages; median ms per call over {ARGS.rounds} runs, in-process "
        "(query and row building, no HTTP).",
        "",
        "| member | history page 1 | history halfway | list page (20 rows) | unread_count |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, first, deep, listing, unread in results:
        lines.append(f"| {name} | {first:.2f} | {deep:.2f} | {listing:.2f} | {unread:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Needs a Postgres DATABASE_URL.")
    load_before = os.getloadavg()[0]
    connection.settings_dict["TEST"]["NAME"] = f"bench_chat_gaps_{os.getpid()}"
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        world = build([int(g) for g in ARGS.gaps.split(",") if g])
        results = measure(world)
    finally:
        teardown_databases(old_config, verbosity=0)
    text = render(results, (load_before, os.getloadavg()[0]))
    print(text)
    if not ARGS.no_write:
        with RESULTS.open("a") as out:
            out.write("\n" + text)


if __name__ == "__main__":
    main()
