from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = "Forum"

    def ready(self):
        from core.media import register_public_media
        from notifications.targets import register_target_check
        from realtime.registry import register_stream

        from .media import is_public_file
        from .selectors import can_view_post, visible_post_ids
        from .services import hold_comment_for_notification, hold_post_for_notification

        # Local files of public posts' media are served to anyone (core.views_media).
        register_public_media("forum/", lambda name: is_public_file(name=name))
        # `forum` carries public posts only: anyone signed in may listen.
        register_stream("forum", lambda user, arg: True)
        register_stream(
            "post",
            lambda user, arg: can_view_post(viewer=user, post_id=arg),
            many=lambda user, args: visible_post_ids(viewer=user, post_ids=args),
        )
        # Nothing is told about a post or comment hidden or deleted meanwhile.
        register_target_check("forum.post", lambda pk: hold_post_for_notification(post_id=pk))
        register_target_check(
            "forum.comment", lambda pk: hold_comment_for_notification(comment_id=pk)
        )

        # Posts, comments, top posts and open reports on the staff dashboard.
        from . import dashboard

        dashboard.register()
