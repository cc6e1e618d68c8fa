"""What other apps may do when something happens between users.

Fired by `users.services` inside the act's transaction; apps above users (the
notifications) subscribe in their `AppConfig.ready()`, so users import none of
them. See `core.hooks`.
"""

from core.hooks import Hook

# A new follow was made (not fired for one that already existed).
user_followed = Hook("users.user_followed", "follower", "followee")

# A new block was made; the follows between the two are already gone.
user_blocked = Hook("users.user_blocked", "blocker", "blocked")
