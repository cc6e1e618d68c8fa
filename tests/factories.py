"""factory_boy factories for the suite. Users go through the manager, so each gets
its profile exactly as in production."""

import uuid

import factory
from django.contrib.auth import get_user_model

from users.models import Follow

DEFAULT_PASSWORD = "a-long-test-passphrase-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    username = factory.Sequence(lambda n: f"user{n}")
    password = DEFAULT_PASSWORD
    display_name = factory.Faker("name")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, **kwargs)


class ModeratorFactory(UserFactory):
    @factory.post_generation
    def moderator(obj, create, extracted, **kwargs):
        from users.roles import grant_moderator

        if create:
            grant_moderator(obj)


class StaffFactory(UserFactory):
    """`is_staff` alone: logs in to the admin, holds no power."""

    is_staff = True


class SuperuserFactory(UserFactory):
    is_staff = True
    is_superuser = True


class FollowFactory(factory.django.DjangoModelFactory):
    """Through the service, so counters stay exact."""

    class Meta:
        model = Follow

    follower = factory.SubFactory(UserFactory)
    followee = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, follower, followee, **kwargs):
        from users import services

        services.follow(follower=follower, followee=followee)
        return model_class.objects.get(follower=follower, followee=followee)


# --- one way to make each thing the tests need ----------------------------------
# Through the services wherever a service makes it, so counters (followers, posts,
# likes, comments) and caches stay as in production. Each factory's `_create`
# calls the service; `make_user` is the one helper for a user.


def make_user(username: str | None = None, **fields):
    """A user through the manager (profile included). `make_user("jane")` is
    jane@example.com; other fields as `create_user` takes them. No display name
    unless given: what a test searches for or reads in a title is never a random
    name (the user shows by their username)."""
    fields.setdefault("display_name", "")
    if username is not None:
        fields["username"] = username
        fields.setdefault("email", f"{username}@example.com")
    return UserFactory(**fields)


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), color=(20, 120, 200)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def image_upload(name: str = "photo.jpg", **image):
    """A small real JPEG as an upload (`image_bytes` options)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, image_bytes(**image), content_type="image/jpeg")


class BlockFactory(factory.django.DjangoModelFactory):
    """Through `users.services.block_user`: follows and notifications between the
    two go as in production."""

    class Meta:
        model = "users.Block"

    blocker = factory.SubFactory(UserFactory)
    blocked = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, blocker, blocked, **kwargs):
        from users import services

        services.block_user(blocker=blocker, blocked=blocked)
        return model_class.objects.get(blocker=blocker, blocked=blocked)


class PostFactory(factory.django.DjangoModelFactory):
    """Through `forum.services.create_post` (post counts, tags, caches, events)."""

    class Meta:
        model = "forum.ForumPost"

    author = factory.SubFactory(UserFactory)
    content = factory.Sequence(lambda n: f"Post number {n}")

    @classmethod
    def _create(cls, model_class, author, content, **kwargs):
        from forum import services

        return services.create_post(author=author, content=content, **kwargs)


class CommentFactory(factory.django.DjangoModelFactory):
    """Through `forum.services.create_comment`; `parent=` a comment to reply to."""

    class Meta:
        model = "forum.ForumComment"

    post = factory.SubFactory(PostFactory)
    author = factory.SubFactory(UserFactory)
    content = factory.Sequence(lambda n: f"Comment number {n}")
    parent = None

    @classmethod
    def _create(cls, model_class, post, author, content, parent=None):
        from forum import services

        return services.create_comment(
            post=post, author=author, content=content, parent_id=parent.pk if parent else None
        )


class PostLikeFactory(factory.django.DjangoModelFactory):
    """Through `forum.services.set_post_like` (the post's like count moves)."""

    class Meta:
        model = "forum.PostLike"

    post = factory.SubFactory(PostFactory)
    user = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, post, user):
        from forum import services

        services.set_post_like(user=user, post_id=post.pk, liked=True)
        return model_class.objects.get(post=post, user=user)


class CommentLikeFactory(factory.django.DjangoModelFactory):
    """Through `forum.services.set_comment_like`."""

    class Meta:
        model = "forum.CommentLike"

    comment = factory.SubFactory(CommentFactory)
    user = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, comment, user):
        from forum import services

        services.set_comment_like(user=user, comment_id=comment.pk, liked=True)
        return model_class.objects.get(comment=comment, user=user)


class ReportFactory(factory.django.DjangoModelFactory):
    """Through `forum.moderation.report_post` (or `report_comment` with `comment=`)."""

    class Meta:
        model = "forum.Report"

    reporter = factory.SubFactory(UserFactory)
    post = factory.SubFactory(PostFactory)
    reason = "spam"
    details = ""

    @classmethod
    def _create(cls, model_class, reporter, post, reason, details, comment=None):
        from forum import moderation

        if comment is not None:
            return moderation.report_comment(
                reporter=reporter, comment_id=comment.pk, reason=reason, details=details
            )
        return moderation.report_post(
            reporter=reporter, post_id=post.pk, reason=reason, details=details
        )


class UploadedMediaFactory(factory.django.DjangoModelFactory):
    """A real upload through `forum.media.upload_media` (a small JPEG, resized and
    stored as in production); attach it with `create_post(media=[pk])`."""

    class Meta:
        model = "forum.Media"

    owner = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, owner, upload=None):
        from forum import media

        return media.upload_media(owner=owner, upload=upload or image_upload())


class MediaRowFactory(factory.django.DjangoModelFactory):
    """A media row naming a file that is not stored: for reads that only render
    its URL (the feed, the prepared queries), without image processing."""

    class Meta:
        model = "forum.Media"

    post = None
    owner = factory.LazyAttribute(lambda media: media.post.user if media.post else None)
    file = factory.LazyFunction(lambda: f"forum/t/{uuid.uuid4()}.jpg")
    width = 64
    height = 48
    content_type = "image/jpeg"


class DeviceFactory(factory.django.DjangoModelFactory):
    """Through `notifications.services.devices.register_device`."""

    class Meta:
        model = "notifications.Device"

    user = factory.SubFactory(UserFactory)
    platform = "android"
    token = factory.Sequence(lambda n: f"push-token-{n}")
    app_version = "2.4.1"
    device_id = ""

    @classmethod
    def _create(cls, model_class, **fields):
        from notifications.services import devices

        device, _ = devices.register_device(**fields)
        return device


class NotificationFactory(factory.django.DjangoModelFactory):
    """A notification delivered now, through `delivery.deliver` (dedupe, folding,
    the recipient's preferences and the `notification.new` event), without waiting
    for a commit. None when the delivery tells nothing (a block, preferences)."""

    class Meta:
        model = "notifications.Notification"

    recipient = factory.SubFactory(UserFactory)
    kind = "system"
    actor = None
    target_type = ""
    target_id = ""
    data = factory.LazyFunction(lambda: {"title": "Hello", "body": "From the tests."})

    @classmethod
    def _create(cls, model_class, recipient, kind, actor, target_type, target_id, data):
        from notifications.services import delivery

        return delivery.deliver(
            notification_id=str(uuid.uuid4()),
            recipient_id=str(recipient.pk),
            kind=str(kind),
            actor_id=str(actor.pk) if actor else None,
            target_type=target_type,
            target_id=str(target_id),
            data=data,
            dedupe_key=None,
        )


# --- chat (through chat.services, as the API creates them) ----------------------


def direct_conversation(user, other):
    """The direct conversation of `user` and `other`."""
    from chat import services

    conversation, _ = services.start_direct(user=user, other_id=other.pk)
    return conversation


def group_conversation(owner, *members, title="Climbing crew"):
    """A group owned by `owner` with `members`."""
    from chat import services

    return services.create_group(
        creator=owner, title=title, participant_ids=[m.pk for m in members]
    )


def chat_message(conversation, sender, body="Hello", **kwargs):
    """A message sent by `sender` (a participant) to `conversation`."""
    from chat import services

    message, _ = services.send_message(
        sender=sender, conversation_id=conversation.pk, body=body, **kwargs
    )
    return message
