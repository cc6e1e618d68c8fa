"""What the notifications do when other apps' hooks fire (subscribed in apps.py)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from .models import Kind
from .services import Target, notify, withdraw_between


def tell_followee(*, follower: AbstractBaseUser, followee: AbstractBaseUser) -> None:
    """`new_follower` to the user followed, once the follow commits."""
    notify(
        recipient_id=followee.pk,
        kind=Kind.NEW_FOLLOWER,
        actor_id=follower.pk,
        target=Target("users.user", follower.pk),
    )


def withdraw_on_block(*, blocker: AbstractBaseUser, blocked: AbstractBaseUser) -> None:
    """Take back what either was told about the other, in the block's transaction."""
    withdraw_between(user_id=blocker.pk, other_id=blocked.pk)
