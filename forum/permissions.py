"""The forum's staff powers, as the admin grants them (core.permissions)."""

from core.permissions import model_permission

MODERATE_POSTS = "forum.change_forumpost"
REMOVE_POSTS = "forum.delete_forumpost"
MODERATE_COMMENTS = "forum.change_forumcomment"
READ_REPORTS = "forum.view_report"
HANDLE_REPORTS = "forum.change_report"
READ_POSTS = "forum.view_forumpost"

CanModeratePosts = model_permission(
    MODERATE_POSTS, name="CanModeratePosts", message="You may not moderate posts."
)
CanModerateComments = model_permission(
    MODERATE_COMMENTS, name="CanModerateComments", message="You may not moderate comments."
)
CanReadReports = model_permission(
    READ_REPORTS, name="CanReadReports", message="You may not read reports."
)
CanHandleReports = model_permission(
    READ_REPORTS, HANDLE_REPORTS, name="CanHandleReports", message="You may not handle reports."
)
