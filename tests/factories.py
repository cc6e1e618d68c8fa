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
