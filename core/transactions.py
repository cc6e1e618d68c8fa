"""The one way side effects leave a transaction: after it commits."""

from django.db import transaction


def after_commit(func, /, *args, **kwargs) -> None:
    """Run `func(*args, **kwargs)` once the current transaction commits (at once
    outside one). A failure there is logged, never raised into the caller, whose
    work is committed by then; nothing runs if the transaction rolls back."""

    def callback():
        func(*args, **kwargs)

    # Django logs a failing robust callback by its __qualname__.
    callback.__qualname__ = f"after_commit({getattr(func, '__qualname__', repr(func))})"
    transaction.on_commit(callback, robust=True)
