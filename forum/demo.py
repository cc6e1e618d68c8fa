"""The forum's demo data, through its services: posts with images (drawn with
Pillow, stored like any upload), tags, comments with a reply, and likes, so a
demo user's first feed is not empty. Idempotent: a post is known by its author
and text, a comment by its post, author and text; likes are set, not toggled."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from . import media, services
from .models import ForumComment, ForumPost, Privacy


@dataclass(frozen=True)
class DemoPicture:
    """A landscape drawn in two colours: sky above, ground below, a sun."""

    sky: tuple[int, int, int]
    ground: tuple[int, int, int]
    sun: tuple[int, int, int]


@dataclass(frozen=True)
class DemoPost:
    author: str
    content: str
    tags: tuple[str, ...] = ()
    pictures: tuple[DemoPicture, ...] = ()
    privacy: str = Privacy.PUBLIC
    liked_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoComment:
    post: str  # the post's content
    author: str
    content: str
    reply_to: str | None = None  # the parent comment's content
    liked_by: tuple[str, ...] = ()


HARBOUR = DemoPicture(sky=(250, 190, 120), ground=(40, 90, 140), sun=(255, 240, 200))
RIDGE = DemoPicture(sky=(150, 200, 240), ground=(70, 120, 60), sun=(255, 255, 230))
DUSK = DemoPicture(sky=(90, 60, 130), ground=(30, 30, 60), sun=(250, 150, 90))
KITCHEN = DemoPicture(sky=(235, 215, 180), ground=(150, 100, 60), sun=(250, 235, 205))

DEMO_POSTS = (
    DemoPost(
        "alice",
        "Morning light over the harbour. Worth getting up at six for.",
        tags=("photography", "travel"),
        pictures=(HARBOUR, DUSK),
        liked_by=("bob", "carol"),
    ),
    DemoPost(
        "bob",
        "First sourdough loaf that actually rose. Recipe in the comments.",
        tags=("baking",),
        pictures=(KITCHEN,),
        liked_by=("alice", "carol", "mod"),
    ),
    DemoPost(
        "carol",
        "Trail run up the ridge: 12 km, 600 m up, one very happy dog.",
        tags=("running", "dogs"),
        pictures=(RIDGE,),
        liked_by=("alice",),
    ),
    DemoPost("alice", "Reading anything good this month? I need a new novel.", tags=("books",)),
    DemoPost(
        "bob",
        "Only for the people who follow me: the secret is a very wet dough.",
        tags=("baking",),
        privacy=Privacy.FOLLOWERS,
        liked_by=("alice",),
    ),
)

DEMO_COMMENTS = (
    DemoComment(DEMO_POSTS[0].content, "bob", "Those colours! Which camera?", liked_by=("alice",)),
    DemoComment(
        DEMO_POSTS[0].content,
        "alice",
        "Just my phone, honestly.",
        reply_to="Those colours! Which camera?",
    ),
    DemoComment(
        DEMO_POSTS[1].content,
        "carol",
        "Looks perfect. How long did it prove?",
        liked_by=("bob",),
    ),
    DemoComment(
        DEMO_POSTS[1].content,
        "bob",
        "Overnight in the fridge, then two hours on the counter.",
        reply_to="Looks perfect. How long did it prove?",
    ),
    DemoComment(DEMO_POSTS[3].content, "carol", "Try anything by Ursula K. Le Guin."),
)


def picture_upload(picture: DemoPicture, *, name: str) -> SimpleUploadedFile:
    """A JPEG of `picture`, as a client would upload it."""
    width, height = 960, 640
    image = Image.new("RGB", (width, height), picture.sky)
    draw = ImageDraw.Draw(image)
    draw.ellipse((600, 90, 760, 250), fill=picture.sun)
    draw.polygon(
        [(0, 420), (320, 330), (640, 400), (960, 340), (960, 640), (0, 640)], picture.ground
    )
    data = io.BytesIO()
    image.save(data, format="JPEG", quality=85)
    return SimpleUploadedFile(name, data.getvalue(), content_type="image/jpeg")


def _demo_post(demo: DemoPost, *, users: dict) -> ForumPost:
    author = users[demo.author]
    post = ForumPost.objects.filter(user=author, content=demo.content).first()
    if post is None:
        uploads = [
            media.upload_media(owner=author, upload=picture_upload(picture, name=f"demo-{n}.jpg"))
            for n, picture in enumerate(demo.pictures)
        ]
        post = services.create_post(
            author=author,
            content=demo.content,
            media=[upload.pk for upload in uploads],
            tags=list(demo.tags),
            privacy=demo.privacy,
        )
    for username in demo.liked_by:
        services.set_post_like(user=users[username], post_id=post.pk, liked=True)
    return post


def _demo_comment(demo: DemoComment, *, posts: dict, users: dict) -> ForumComment:
    post, author = posts[demo.post], users[demo.author]
    comment = ForumComment.objects.filter(post=post, user=author, content=demo.content).first()
    if comment is None:
        parent_id = None
        if demo.reply_to is not None:
            parent_id = ForumComment.objects.get(post=post, content=demo.reply_to).pk
        comment = services.create_comment(
            post=post, author=author, content=demo.content, parent_id=parent_id
        )
    for username in demo.liked_by:
        services.set_comment_like(user=users[username], comment_id=comment.pk, liked=True)
    return comment


def seed_forum(*, users: dict) -> list[ForumPost]:
    """The demo posts, comments and likes, by the demo users (by username)."""
    posts = {demo.content: _demo_post(demo, users=users) for demo in DEMO_POSTS}
    for demo in DEMO_COMMENTS:
        _demo_comment(demo, posts=posts, users=users)
    return list(posts.values())
