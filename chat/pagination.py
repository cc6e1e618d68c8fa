"""The two lists of chat: conversations (keyset on last activity, the cursor of
`core.pagination`) and a conversation's history (newest first, paged by message
id both ways: `before=` older, `after=` newer)."""

from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.pagination import KeysetPagination, page_links

from .selectors import CONVERSATION_ORDERING


class ConversationPagination(KeysetPagination):
    envelope = "conversations"
    ordering = CONVERSATION_ORDERING


def page_size(request: Request) -> int:
    return KeysetPagination().get_page_size(request)


def history_links(
    request: Request, rows: list[dict], *, has_more: bool, before, after
) -> dict[str, str | None]:
    """The page keys of a history page (`rows` newest first): next is older
    (`before=` its oldest), previous is newer (`after=` its newest); the cursors
    are those message ids, to pass back as `before=` and `after=`."""
    base = remove_query_param(remove_query_param(request.build_absolute_uri(), "before"), "after")

    def link(param: str, row: dict) -> str:
        return replace_query_param(base, param, str(row["id"]))

    older = has_more if after is None else True
    newer = has_more if after is not None else before is not None
    next_page = link("before", rows[-1]) if rows and older else None
    previous_page = link("after", rows[0]) if rows and newer else None
    return page_links(next_page, previous_page, next_param="before", previous_param="after")
