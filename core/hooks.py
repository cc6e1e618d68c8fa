"""Hooks: how a lower app tells the apps above it that something happened,
without importing them.

The app where it happens declares the hook in its `hooks.py` and fires it from
its service, inside the service's transaction; an app above subscribes in its
`AppConfig.ready()`. A subscriber runs in that same transaction, so its writes
commit or roll back with the act, and an error in it fails the act (use
`core.transactions.after_commit` inside it for what must wait for the commit).

    # users/hooks.py
    user_followed = Hook("users.user_followed", "follower", "followee")

    # users/services.py, in follow()'s transaction
    hooks.user_followed.fire(follower=follower, followee=followee)

    # notifications/apps.py, ready()
    user_followed.subscribe(subscribers.tell_followee)
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured


class Hook:
    """A named point subscribers are called at, with the keyword arguments it declares."""

    def __init__(self, name: str, *arguments: str) -> None:
        self.name = name
        self.arguments = frozenset(arguments)
        self._subscribers: list[Callable[..., object]] = []

    def subscribe(self, subscriber: Callable[..., object]) -> Callable[..., object]:
        """Call `subscriber(**arguments)` each time the hook fires; once however often
        it subscribes (ready() may run twice)."""
        if subscriber not in self._subscribers:
            self._subscribers.append(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Callable[..., object]) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    @property
    def subscribers(self) -> tuple[Callable[..., object], ...]:
        return tuple(self._subscribers)

    def fire(self, **arguments: object) -> None:
        """Call every subscriber in the order they subscribed; an error propagates."""
        if set(arguments) != self.arguments:
            raise ImproperlyConfigured(
                f"Hook {self.name} takes {sorted(self.arguments)}, got {sorted(arguments)}."
            )
        for subscriber in tuple(self._subscribers):
            subscriber(**arguments)

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self._subscribers)} subscribers)"
