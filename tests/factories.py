"""factory_boy factories for the suite. Users go through the manager, so each gets
its profile exactly as in production."""

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
    is_staff = True


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
