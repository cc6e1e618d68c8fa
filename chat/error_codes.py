"""Chat's error codes (conversations, participants, messages, reports).

Generic refusals (`blank`, `max_length`, `not_found`, `permission_denied`,
`does_not_exist`, ...) use `core.error_codes`; a block is `users.error_codes.USER_BLOCKED`
and a suspended sender `users.error_codes.ACCOUNT_SUSPENDED`.
"""

NOT_A_GROUP = "not_a_group"
ONE_OTHER_PARTICIPANT = "one_other_participant"
GROUP_TOO_LARGE = "group_too_large"
ALREADY_PARTICIPANT = "already_participant"
CANNOT_REMOVE_OWNER = "cannot_remove_owner"
CANNOT_CHAT_WITH_SELF = "cannot_chat_with_self"
INVALID_MEDIA = "invalid_media"
CLIENT_REF_REUSED = "client_ref_reused"
MESSAGE_DELETED = "message_deleted"
CANNOT_REPORT_OWN_MESSAGE = "cannot_report_own_message"
ALREADY_REPORTED = "already_reported"
