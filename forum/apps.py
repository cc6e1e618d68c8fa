from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = "Forum"

    def ready(self):
        from core.realtime.registry import register_stream

        from .selectors import can_view_post

        # `forum` carries public posts only: anyone signed in may listen.
        register_stream("forum", lambda user, arg: True)
        register_stream("post", lambda user, arg: can_view_post(viewer=user, post_id=arg))
