"""Forum data for the benchmarks: users, follows, posts, images, comments and likes, by COPY.

    .venv/bin/python bench/generate_forum_data.py [--scale 1.0] [--database platform_bench]

At --scale 1: 100,000 users, 2,000,000 follows, 1,000,000 posts (with tags),
about 430,000 images on 300,000 of those posts, 3,000,000 comments and
10,000,000 likes; --scale 0.01 is a one-minute run.

The script drops and creates the database (its name must contain "bench"),
migrates it, then for the bulk tables drops secondary indexes, unique and
foreign-key constraints, streams rows generated in Python through psycopg's
`cursor.copy`, rebuilds what it dropped from the saved definitions (so the
schema ends as the migrations left it), VACUUM ANALYZEs and checks that every
denormalised counter equals the rows it counts and that every image belongs to
its post's author at positions 0..n-1. It prints a progress line per
table on stderr, then a Markdown summary of the timings and sizes, which it
appends to BENCHMARKS.md unless --no-write.

The data, deterministic for a --seed: a year of activity, rows inserted in
time order; authors, followees and popular posts skewed (Pareto); 85% public,
10% followers-only, 5% private posts, 0.1% hidden by a moderator; likes and
comments on followers-only posts from the author's followers only, none on
private ones; threaded replies up to the depth limit; images as
`forum.media` stores them (see MEDIA_* below). The viewer of the feed
benchmark is `bench@bench.example` (username `bench`), who follows 200 of the
most followed authors. Passwords are unusable: benchmarks mint JWTs.

Images are rows only: no file is written to storage. The feed renders image
and thumbnail URLs from the stored names and never opens the files, so the
rows are all a feed benchmark needs (fetching an image URL from this data
would 404).
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import platform
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "BENCHMARKS.md"
sys.path.insert(0, str(BASE_DIR))

VIEWER_EMAIL = "bench@bench.example"
VIEWER_FOLLOWS = 200
DAY = 86_400
YEAR = 365 * DAY
COPY_CHUNK_ROWS = 5_000

# Post images (forum_media). MEDIA_POST_SHARE of the posts carry images; how
# many each follows MEDIA_PER_POST (weights: mostly one, mean ~1.43). Formats
# follow MEDIA_FORMATS: (content type, extension as core.media names it, weight,
# bytes per pixel after re-encoding). Sides are capped at
# MEDIA["POST_IMAGE_MAX_SIDE"], as forum.media scales uploads; MEDIA_UNTHUMBNAILED
# of the images have no thumbnails yet (`{}`: the task has not run).
MEDIA_POST_SHARE = 0.3
MEDIA_PER_POST = {1: 75, 2: 12, 3: 8, 4: 5}
MEDIA_FORMATS = (
    ("image/jpeg", "jpg", 75, 0.25),
    ("image/png", "png", 10, 1.2),
    ("image/webp", "webp", 15, 0.15),
)
MEDIA_ASPECTS = ((4, 3), (3, 4), (16, 9), (9, 16), (1, 1), (3, 2))
MEDIA_UNTHUMBNAILED = 0.05

_WORD_TEXT = """
the a of and to in is it you that he was for on are with as I his they be at one have
this from or had by hot word but what some we can out other were all there when up
use your how said an each she which do their time if will way about many then them
write would like so these her long make thing see him two has look more day could go
come did number sound no most people my over know water than call first who may down
side been now find any new work part take get place made live where after back little
only round man year came show every good me give our under name very through just
form sentence great think say help low line differ turn cause much mean before move
right boy old too same tell does set three want air well also play small end put home
read hand port large spell add even land here must big high such follow act why ask
men change went light kind off need house picture try us again animal point mother
world near build self earth father head stand own page should country found answer
school grow study still learn plant cover food sun four between state keep eye never
last let thought city tree cross farm hard start might story saw far sea draw left
late run while press close night real life few north open seem together next white
children begin got walk example ease paper group always music those both mark often
letter until mile river car feet care second book carry took science eat room friend
began idea fish mountain stop once base hear horse cut sure watch color face wood
main enough plain girl usual young ready above ever red list though feel talk bird
soon body dog family direct pose leave song measure door
"""
WORDS = tuple(_WORD_TEXT.split())


@dataclass(frozen=True)
class Sizes:
    users: int
    follows: int
    posts: int
    comments: int
    likes: int
    media_posts: int  # posts with images; each has 1-4 (MEDIA_PER_POST)
    tags: int = 200

    @classmethod
    def at_scale(cls, scale: float) -> Sizes:
        posts = round(1_000_000 * scale)
        return cls(
            users=max(20, round(100_000 * scale)),
            follows=round(2_000_000 * scale),
            posts=posts,
            comments=round(3_000_000 * scale),
            likes=round(10_000_000 * scale),
            media_posts=round(posts * MEDIA_POST_SHARE),
        )


@dataclass
class Loaded:
    """What was written, per table, and how long each phase took."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


# --- progress ---------------------------------------------------------------


class Progress:
    """A one-line progress bar on stderr, redrawn at most twice a second."""

    def __init__(self, label: str, total: int, *, unit: str = "rows", quiet: bool = False):
        self.label, self.total, self.unit, self.quiet = label, max(total, 1), unit, quiet
        self.done = 0
        self.started = self.drawn = time.monotonic()

    def update(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.drawn >= 0.5:
            self.drawn = now
            self._draw(now)

    def _draw(self, now: float, end: str = "") -> None:
        if self.quiet:
            return
        fraction = min(self.done / self.total, 1.0)
        bar = "#" * int(fraction * 30)
        rate = self.done / max(now - self.started, 1e-9)
        sys.stderr.write(
            f"\r{self.label:<12} [{bar:<30}] {fraction:6.1%} {self.done:>11,} {self.unit} "
            f"{rate:>10,.0f}/s{end}"
        )
        sys.stderr.flush()

    def close(self) -> float:
        now = time.monotonic()
        self._draw(now, end=f"  {now - self.started:6.1f}s\n")
        return now - self.started


# --- formatting -------------------------------------------------------------

_fromtimestamp = datetime.datetime.fromtimestamp
_UTC = datetime.UTC


def ts(epoch: float) -> str:
    return _fromtimestamp(epoch, _UTC).isoformat()


def new_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def text_pool(rng: random.Random, size: int, min_words: int, max_words: int) -> list[str]:
    pool = []
    for _ in range(size):
        words = rng.choices(WORDS, k=rng.randint(min_words, max_words))
        words[0] = words[0].capitalize()
        pool.append(" ".join(words) + rng.choice(".!?"))
    return pool


def pareto_weights(rng: random.Random, count: int, alpha: float) -> list[float]:
    return [rng.paretovariate(alpha) for _ in range(count)]


def spread(rng: random.Random, weights: list[float], total: int) -> list[int]:
    """Integers proportional to `weights` summing to about `total` (randomised rounding)."""
    scale = total / (sum(weights) or 1)
    out = []
    for weight in weights:
        expected = weight * scale
        whole = int(expected)
        out.append(whole + (rng.random() < expected - whole))
    return out


# --- the plan: who, when, how many (everything but the row bodies) -----------


@dataclass
class Plan:
    sizes: Sizes
    now: float
    user_ids: list[str]
    joined: list[float]
    follows: list[tuple[int, int, float]]  # follower, followee, created
    followers_of: list[list[int]]
    post_authors: list[int]
    post_times: list[float]
    post_privacy: list[str]
    post_likes: list[int]
    post_comments: list[int]
    post_media: list[int]  # images per post
    tag_names: list[str]


def make_plan(sizes: Sizes, rng: random.Random, now: float, *, media_rng: random.Random) -> Plan:
    """`media_rng` draws everything about images, so that adding them left every
    other table of a --seed as it was (comparable with earlier benchmark runs)."""
    users = sizes.users
    start = now - YEAR
    user_ids = [new_id(rng) for _ in range(users)]

    # Who writes and who is followed: a few users do most of it.
    activity = pareto_weights(rng, users, 1.16)
    cumulative = list(itertools.accumulate(activity))

    seen: set[int] = set()
    follows: list[tuple[int, int, float]] = []

    def follow(follower: int, followee: int) -> None:
        key = follower * users + followee
        if follower != followee and key not in seen:
            seen.add(key)
            follows.append((follower, followee, 0.0))

    by_popularity = sorted(range(1, users), key=activity.__getitem__, reverse=True)
    for followee in by_popularity[:VIEWER_FOLLOWS]:
        follow(0, followee)
    followers_drawn = rng.choices(range(users), k=sizes.follows)
    followees_drawn = rng.choices(range(users), cum_weights=cumulative, k=sizes.follows)
    for follower, followee in zip(followers_drawn, followees_drawn, strict=True):
        follow(follower, followee)
    follow_times = sorted(rng.uniform(start, now) for _ in follows)
    follows = [(a, b, t) for (a, b, _), t in zip(follows, follow_times, strict=True)]
    followers_of: list[list[int]] = [[] for _ in range(users)]
    for follower, followee, _ in follows:
        followers_of[followee].append(follower)

    posts = sizes.posts
    post_authors = rng.choices(range(users), cum_weights=cumulative, k=posts)
    post_times = sorted(rng.uniform(start, now - 60) for _ in range(posts))
    post_privacy = rng.choices(("public", "followers", "private"), weights=(85, 10, 5), k=posts)

    # Popular posts draw both likes and comments.
    popularity = pareto_weights(rng, posts, 1.5)
    for index, privacy in enumerate(post_privacy):
        if privacy == "private":
            popularity[index] = 0.0
    post_likes = spread(rng, popularity, sizes.likes)
    post_comments = spread(rng, popularity, sizes.comments)
    for index, privacy in enumerate(post_privacy):
        audience = len(followers_of[post_authors[index]]) if privacy == "followers" else users
        post_likes[index] = min(post_likes[index], audience)
        if privacy == "followers" and audience == 0:
            post_comments[index] = 0
    # Likes cut by small audiences go to public posts, so the total stays near the target.
    public_popularity = [
        weight if privacy == "public" else 0.0
        for weight, privacy in zip(popularity, post_privacy, strict=True)
    ]
    extra = spread(rng, public_popularity, sizes.likes - sum(post_likes))
    post_likes = [min(likes + more, users) for likes, more in zip(post_likes, extra, strict=True)]

    joined = [rng.uniform(start - 30 * DAY, start) for _ in range(users)]
    tag_names = [f"{rng.choice(WORDS)}{index}" for index in range(sizes.tags)]
    return Plan(
        sizes=sizes,
        now=now,
        user_ids=user_ids,
        joined=joined,
        follows=follows,
        followers_of=followers_of,
        post_authors=post_authors,
        post_times=post_times,
        post_privacy=post_privacy,
        post_likes=post_likes,
        post_comments=post_comments,
        post_media=plan_media(sizes, media_rng),
        tag_names=tag_names,
    )


def plan_media(sizes: Sizes, rng: random.Random) -> list[int]:
    """Images per post: `sizes.media_posts` posts, drawn uniformly, get 1-4."""
    counts = [0] * sizes.posts
    with_media = rng.sample(range(sizes.posts), min(sizes.media_posts, sizes.posts))
    per_post, weights = list(MEDIA_PER_POST), list(MEDIA_PER_POST.values())
    drawn = rng.choices(per_post, weights=weights, k=len(with_media))
    for post, count in zip(with_media, drawn, strict=True):
        counts[post] = count
    return counts


# --- rows ---------------------------------------------------------------------

USER_COLUMNS = (
    "id, password, last_login, is_superuser, email, username, is_active, is_staff, "
    "suspended_until, suspension_reason, date_joined, email_key, username_key"
)
PROFILE_COLUMNS = (
    "user_id, display_name, bio, avatar, follower_count, following_count, post_count, updated_at"
)
FOLLOW_COLUMNS = "follower_id, followee_id, created_at"
TAG_COLUMNS = "id, name"
POST_COLUMNS = (
    "id, user_id, content, tag_names, privacy, timestamp, updated_at, is_edited, "
    "like_count, comment_count, hidden_at, hidden_by_id"
)
POST_TAG_COLUMNS = "forumpost_id, tag_id"
MEDIA_COLUMNS = (
    "id, owner_id, post_id, file, width, height, content_type, size_bytes, thumbnails, "
    "position, created_at"
)
COMMENT_COLUMNS = (
    "id, post_id, user_id, parent_id, depth, content, timestamp, updated_at, is_edited, "
    "is_deleted, like_count, hidden_at, hidden_by_id"
)
LIKE_COLUMNS = "post_id, user_id, created_at"
NULL = r"\N"


def user_rows(plan: Plan) -> Iterator[str]:
    for index, user_id in enumerate(plan.user_ids):
        handle = "bench" if index == 0 else f"user{index}"
        email = VIEWER_EMAIL if index == 0 else f"user{index}@bench.example"
        joined = ts(plan.joined[index])
        # ASCII and lower case already: their folded keys (core.identifiers) are themselves.
        yield (
            f"{user_id}\t!\t{NULL}\tf\t{email}\t{handle}\tt\tf\t{NULL}\t\t{joined}"
            f"\t{email}\t{handle}\n"
        )


def profile_rows(plan: Plan) -> Iterator[str]:
    users = plan.sizes.users
    followers = [0] * users
    following = [0] * users
    for follower, followee, _ in plan.follows:
        following[follower] += 1
        followers[followee] += 1
    posts = [0] * users
    for author in plan.post_authors:
        posts[author] += 1
    for index, user_id in enumerate(plan.user_ids):
        name = "Bench Viewer" if index == 0 else f"User {index}"
        updated = ts(plan.joined[index])
        yield (
            f"{user_id}\t{name}\t\t\t{followers[index]}\t{following[index]}\t{posts[index]}"
            f"\t{updated}\n"
        )


def follow_rows(plan: Plan) -> Iterator[str]:
    ids = plan.user_ids
    for follower, followee, created in plan.follows:
        yield f"{ids[follower]}\t{ids[followee]}\t{ts(created)}\n"


def tag_rows(plan: Plan) -> Iterator[str]:
    for index, name in enumerate(plan.tag_names, start=1):
        yield f"{index}\t{name}\n"


def post_and_tag_rows(
    plan: Plan, rng: random.Random, post_ids: list[str], post_tags: list[str]
) -> Iterator[str]:
    """Post rows; fills `post_ids` and the tag link rows as it goes."""
    texts = text_pool(rng, 20_000, 5, 60)
    tag_count = len(plan.tag_names)
    tag_weights = list(itertools.accumulate(1 / rank for rank in range(1, tag_count + 1)))
    ids = plan.user_ids
    for index, author in enumerate(plan.post_authors):
        post_id = new_id(rng)
        post_ids.append(post_id)
        created = plan.post_times[index]
        tags: set[int] = set()
        if rng.random() < 0.3:
            tags = set(rng.choices(range(tag_count), cum_weights=tag_weights, k=rng.randint(1, 3)))
        for tag in tags:
            post_tags.append(f"{post_id}\t{tag + 1}\n")
        tag_names = " ".join(plan.tag_names[tag] for tag in sorted(tags))
        edited = rng.random() < 0.03
        updated = created + rng.uniform(60, 3 * DAY) if edited else created
        hidden = ts(created + 3600) if rng.random() < 0.001 else NULL
        yield (
            f"{post_id}\t{ids[author]}\t{rng.choice(texts)}\t{tag_names}\t"
            f"{plan.post_privacy[index]}\t{ts(created)}\t{ts(min(updated, plan.now))}\t"
            f"{'t' if edited else 'f'}\t{plan.post_likes[index]}\t{plan.post_comments[index]}\t"
            f"{hidden}\t{NULL}\n"
        )


def media_rows(
    plan: Plan,
    rng: random.Random,
    post_ids: list[str],
    max_side: int,
    thumbnail_sizes: list[int],
) -> Iterator[str]:
    """Image rows named as forum.media stores them: the file `forum/<YYYY/MM of
    created_at>/<media id>.<ext>` (forum.models.media_upload_to), each thumbnail
    `<stem>_<size><suffix>` beside it (forum.media_upkeep.make_thumbnails)."""
    ids = plan.user_ids
    formats = [(content_type, ext, per_pixel) for content_type, ext, _, per_pixel in MEDIA_FORMATS]
    format_weights = [weight for _, _, weight, _ in MEDIA_FORMATS]
    for post, count in enumerate(plan.post_media):
        if not count:
            continue
        owner = ids[plan.post_authors[post]]
        created = plan.post_times[post]
        folder = f"forum/{_fromtimestamp(created, _UTC):%Y/%m}"
        stamp = ts(created)
        for position in range(count):
            media_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            content_type, ext, per_pixel = rng.choices(formats, weights=format_weights)[0]
            # Most uploads are photos larger than the cap, scaled down to it.
            long_side = max_side if rng.random() < 0.6 else rng.randint(max_side // 4, max_side)
            long, short = rng.choice(MEDIA_ASPECTS)
            other = max(1, round(long_side * min(long, short) / max(long, short)))
            width, height = (long_side, other) if long >= short else (other, long_side)
            size_bytes = round(width * height * per_pixel * rng.uniform(0.5, 1.5))
            if rng.random() < MEDIA_UNTHUMBNAILED:
                thumbnails = "{}"
            else:
                thumbnails = json.dumps(
                    {str(size): f"{folder}/{media_id}_{size}.{ext}" for size in thumbnail_sizes}
                )
            yield (
                f"{media_id}\t{owner}\t{post_ids[post]}\t{folder}/{media_id}.{ext}\t{width}\t"
                f"{height}\t{content_type}\t{size_bytes}\t{thumbnails}\t{position}\t{stamp}\n"
            )


def _audience(plan: Plan, post: int) -> list[int] | range:
    if plan.post_privacy[post] == "followers":
        return plan.followers_of[plan.post_authors[post]]
    return range(plan.sizes.users)


def comment_rows(
    plan: Plan, rng: random.Random, post_ids: list[str], max_depth: int
) -> Iterator[str]:
    texts = text_pool(rng, 20_000, 2, 30)
    ids = plan.user_ids
    for post, count in enumerate(plan.post_comments):
        if not count:
            continue
        author = plan.post_authors[post]
        audience = _audience(plan, post)
        created = plan.post_times[post]
        window = min(7 * DAY, plan.now - created)
        times = sorted(created + rng.random() * window for _ in range(count))
        thread: list[tuple[str, int]] = []  # (id, depth) of this post's comments so far
        for moment in times:
            comment_id = new_id(rng)
            commenter = author if rng.random() < 0.1 else rng.choice(audience)
            parent, depth = NULL, 0
            if thread and rng.random() < 0.3:
                parent, parent_depth = rng.choice(thread)
                if parent_depth < max_depth:
                    depth = parent_depth + 1
                else:
                    parent = NULL
            thread.append((comment_id, depth))
            stamp = ts(moment)
            yield (
                f"{comment_id}\t{post_ids[post]}\t{ids[commenter]}\t{parent}\t{depth}\t"
                f"{rng.choice(texts)}\t{stamp}\t{stamp}\tf\tf\t0\t{NULL}\t{NULL}\n"
            )


def like_rows(plan: Plan, rng: random.Random, post_ids: list[str]) -> Iterator[str]:
    ids = plan.user_ids
    for post, count in enumerate(plan.post_likes):
        if not count:
            continue
        created = plan.post_times[post]
        window = min(14 * DAY, plan.now - created)
        post_id = post_ids[post]
        for liker in rng.sample(_audience(plan, post), count):
            yield f"{post_id}\t{ids[liker]}\t{ts(created + rng.random() * window)}\n"


# --- the load -------------------------------------------------------------------


def copy_rows(cursor, table: str, columns: str, rows: Iterable[str], progress: Progress) -> int:
    written = 0
    rows = iter(rows)
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        while chunk := list(itertools.islice(rows, COPY_CHUNK_ROWS)):
            copy.write("".join(chunk))
            written += len(chunk)
            progress.update(len(chunk))
    return written


def bulk_tables() -> dict[str, str]:
    """Model label -> table name of every table the generator fills."""
    from django.contrib.auth import get_user_model

    from forum.models import ForumComment, ForumPost, Media, PostLike, Tag
    from users.models import Follow, Profile

    models = {
        "user": get_user_model(),
        "profile": Profile,
        "follow": Follow,
        "tag": Tag,
        "post": ForumPost,
        "post_tag": ForumPost.tags.through,
        "media": Media,
        "comment": ForumComment,
        "like": PostLike,
    }
    return {label: model._meta.db_table for label, model in models.items()}


FILLED_COLUMNS = {
    "user": USER_COLUMNS,
    "profile": PROFILE_COLUMNS,
    "follow": FOLLOW_COLUMNS,
    "tag": TAG_COLUMNS,
    "post": POST_COLUMNS,
    "post_tag": POST_TAG_COLUMNS,
    "media": MEDIA_COLUMNS,
    "comment": COMMENT_COLUMNS,
    "like": LIKE_COLUMNS,
}


def check_schema(cursor, tables: dict[str, str]) -> None:
    """Fail early if a migration added a required column this script does not fill."""
    for label, table in tables.items():
        filled = {name.strip() for name in FILLED_COLUMNS[label].split(",")}
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND table_schema = current_schema() AND is_nullable = 'NO' "
            "AND column_default IS NULL AND is_identity = 'NO' AND is_generated = 'NEVER'",
            [table],
        )
        missing = {name for (name,) in cursor.fetchall()} - filled
        if missing:
            raise SystemExit(
                f"{table} has required columns the generator does not fill: {sorted(missing)}; "
                "add them to bench/generate_forum_data.py"
            )


def drop_secondary_structures(cursor, tables: Iterable[str]) -> list[str]:
    """Drop foreign keys, unique constraints and non-primary indexes of `tables`;
    return the statements that put them back, in a working order."""
    names = list(tables)
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') "
        "ORDER BY contype = 'u', conrelid::regclass::text, conname",
        [names],
    )
    constraints = cursor.fetchall()
    for table, name, _, _ in constraints:  # foreign keys first
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary ORDER BY 1",
        [names],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    restore = [definition for _, definition in indexes]
    restore += [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for table, name, kind, definition in sorted(constraints, key=lambda c: c[2] == "f")
    ]
    return restore


def schema_snapshot(cursor, tables: Iterable[str]) -> list[tuple[str, ...]]:
    """Index and constraint definitions of `tables`, to compare before and after a load."""
    names = list(tables)
    cursor.execute(
        "SELECT 'index', indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = ANY(%s::regclass[]) UNION ALL "
        "SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
        [names, names],
    )
    return cursor.fetchall()


def load(
    connection,
    sizes: Sizes,
    *,
    seed: int = 1,
    now: float | None = None,
    quiet: bool = False,
    on_phase: Callable[[str], None] | None = None,
) -> Loaded:
    """Fill the (empty) bulk tables through `connection`, a psycopg 3 connection, in
    the caller's transaction. Secondary indexes and constraints are dropped for the
    load and rebuilt before returning."""
    from django.conf import settings

    result = Loaded()
    rng = random.Random(seed)
    started = time.monotonic()
    media_rng = random.Random(f"{seed}/media")
    plan = make_plan(sizes, rng, now if now is not None else time.time(), media_rng=media_rng)
    result.seconds["plan"] = time.monotonic() - started

    tables = bulk_tables()
    max_depth = int(settings.FORUM["MAX_COMMENT_DEPTH"])
    max_side = int(settings.MEDIA["POST_IMAGE_MAX_SIDE"])
    thumbnail_sizes = [int(size) for size in settings.MEDIA["THUMBNAIL_SIZES"]]
    with connection.cursor() as cursor:
        check_schema(cursor, tables)
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        restore = drop_secondary_structures(cursor, tables.values())

        post_ids: list[str] = []
        post_tags: list[str] = []
        steps: list[tuple[str, int, Callable[[], Iterable[str]]]] = [
            ("user", sizes.users, lambda: user_rows(plan)),
            ("profile", sizes.users, lambda: profile_rows(plan)),
            ("follow", len(plan.follows), lambda: follow_rows(plan)),
            ("tag", sizes.tags, lambda: tag_rows(plan)),
            ("post", sizes.posts, lambda: post_and_tag_rows(plan, rng, post_ids, post_tags)),
            ("post_tag", 0, lambda: post_tags),
            (
                "media",
                sum(plan.post_media),
                lambda: media_rows(plan, media_rng, post_ids, max_side, thumbnail_sizes),
            ),
            (
                "comment",
                sum(plan.post_comments),
                lambda: comment_rows(plan, rng, post_ids, max_depth),
            ),
            ("like", sum(plan.post_likes), lambda: like_rows(plan, rng, post_ids)),
        ]
        for label, expected, rows in steps:
            if on_phase:
                on_phase(label)
            progress = Progress(label, expected or len(post_tags), quiet=quiet)
            result.rows[label] = copy_rows(
                cursor, tables[label], FILLED_COLUMNS[label], rows(), progress
            )
            result.seconds[label] = progress.close()
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{tables['tag']}', 'id'), %s)", [sizes.tags]
        )

        if on_phase:
            on_phase("indexes")
        progress = Progress("indexes", len(restore), unit="built", quiet=quiet)
        for statement in restore:
            cursor.execute(statement)
            progress.update(1)
        result.seconds["indexes and constraints"] = progress.close()
    return result


COUNTER_CHECKS = {
    "post like_count": (
        "SELECT count(*) FROM {post} p LEFT JOIN (SELECT post_id, count(*) n FROM {like} "
        "GROUP BY post_id) c ON c.post_id = p.id WHERE p.like_count <> coalesce(c.n, 0)"
    ),
    "post comment_count": (
        "SELECT count(*) FROM {post} p LEFT JOIN (SELECT post_id, count(*) n FROM {comment} "
        "GROUP BY post_id) c ON c.post_id = p.id WHERE p.comment_count <> coalesce(c.n, 0)"
    ),
    "profile post_count": (
        "SELECT count(*) FROM {profile} p LEFT JOIN (SELECT user_id, count(*) n FROM {post} "
        "GROUP BY user_id) c ON c.user_id = p.user_id WHERE p.post_count <> coalesce(c.n, 0)"
    ),
    "profile follower_count": (
        "SELECT count(*) FROM {profile} p LEFT JOIN (SELECT followee_id, count(*) n "
        "FROM {follow} GROUP BY followee_id) c ON c.followee_id = p.user_id "
        "WHERE p.follower_count <> coalesce(c.n, 0)"
    ),
    "profile following_count": (
        "SELECT count(*) FROM {profile} p LEFT JOIN (SELECT follower_id, count(*) n "
        "FROM {follow} GROUP BY follower_id) c ON c.follower_id = p.user_id "
        "WHERE p.following_count <> coalesce(c.n, 0)"
    ),
    # Not counters, but the same kind of promise: rows the feed trusts as written.
    "media owner": (
        "SELECT count(*) FROM {media} m JOIN {post} p ON p.id = m.post_id "
        "WHERE m.owner_id <> p.user_id"
    ),
    "media position": (
        "SELECT count(*) FROM (SELECT post_id FROM {media} GROUP BY post_id "
        "HAVING min(position) <> 0 OR max(position) <> count(*) - 1 "
        "OR count(DISTINCT position) <> count(*)) gaps"
    ),
}


def counter_mismatches(cursor) -> dict[str, int]:
    """Rows whose denormalised counter differs from the rows it counts, images not owned
    by their post's author, posts whose image positions are not 0..n-1 (all should be 0)."""
    tables = bulk_tables()
    out = {}
    for name, query in COUNTER_CHECKS.items():
        cursor.execute(query.format(**tables))
        out[name] = cursor.fetchone()[0]
    return out


# --- command line -----------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 1M posts, 10M likes")
    parser.add_argument("--database", default="platform_bench", help="dropped and created")
    parser.add_argument(
        "--server",
        default=None,
        help="postgres://user@host:port (default: from DATABASE_URL, else 127.0.0.1:5432)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print, do not append")
    return parser.parse_args()


def server_url(args) -> str:
    if args.server:
        return args.server.rstrip("/")
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url.rsplit("/", 1)[0]
    return "postgres://postgres@127.0.0.1:5432"


def recreate_database(server: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the database name must contain 'bench'")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main() -> None:
    args = parse_args()
    sizes = Sizes.at_scale(args.scale)
    server = server_url(args)
    timings: dict[str, float] = {}

    started = time.monotonic()
    recreate_database(server, args.database)
    os.environ["DATABASE_URL"] = f"{server}/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    timings["create and migrate"] = time.monotonic() - started

    total_started = time.monotonic()
    with transaction.atomic():
        connection.ensure_connection()
        loaded = load(connection.connection, sizes, seed=args.seed)
    timings.update(loaded.seconds)

    phase = time.monotonic()
    sys.stderr.write("vacuum analyze ...\n")
    with connection.cursor() as cursor:
        for table in bulk_tables().values():
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    timings["vacuum analyze"] = time.monotonic() - phase
    generation = time.monotonic() - total_started

    phase = time.monotonic()
    with connection.cursor() as cursor:
        mismatches = counter_mismatches(cursor)
        cursor.execute("SELECT pg_database_size(current_database())")
        database_bytes = cursor.fetchone()[0]
        sizes_by_table = {}
        for label, table in bulk_tables().items():
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            sizes_by_table[label] = cursor.fetchone()[0]
    timings["counter check"] = time.monotonic() - phase

    report = render(args, loaded, timings, generation, mismatches, database_bytes, sizes_by_table)
    print(report)
    if not args.no_write:
        with RESULTS.open("a") as results:
            results.write("\n" + report)
    if any(mismatches.values()):
        raise SystemExit("counters or images do not match their rows")


def render(args, loaded, timings, generation, mismatches, database_bytes, table_bytes) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=BASE_DIR, capture_output=True, text=True
    ).stdout.strip()
    if commit and dirty:
        commit += " with uncommitted changes"
    gib = 1024**3
    lines = [
        f"### Forum data generation, {datetime.date.today().isoformat()}",
        "",
        f"- command: `python bench/generate_forum_data.py --scale {args.scale:g} "
        f"--database {args.database} --seed {args.seed}`",
        f"- machine: {os.cpu_count()} cores (load average {os.getloadavg()[0]:.2f} after the run), "
        f"Python {platform.python_version()}, commit {commit or 'unknown'}; "
        "PostgreSQL on the same machine, default configuration",
        f"- generation: **{generation / 60:.1f} min** (plan, COPY, index and constraint "
        f"rebuild, VACUUM ANALYZE), plus {timings['create and migrate']:.0f}s to create and "
        f"migrate the database; database size {database_bytes / gib:.2f} GiB",
        "- counters (post like/comment counts, profile post/follower/following counts) "
        "that differ from their rows, images not owned by the post's author, posts whose "
        "image positions are not 0..n-1: "
        + ", ".join(f"{name} {count}" for name, count in mismatches.items()),
        "",
        "| table | rows | seconds | rows/s | size GiB |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, rows in loaded.rows.items():
        seconds = timings[label]
        lines.append(
            f"| {label} | {rows:,} | {seconds:.1f} | {rows / max(seconds, 1e-9):,.0f} | "
            f"{table_bytes[label] / gib:.2f} |"
        )
    for phase in ("plan", "indexes and constraints", "vacuum analyze", "counter check"):
        lines.append(f"| ({phase}) | | {timings[phase]:.1f} | | |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
