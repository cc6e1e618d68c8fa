"""Query parameters validated as the schema declares them.

DRF reads a QueryDict with HTML form semantics: an empty value (`?author=`,
`?unread=`) of an optional field counts as absent. The schema says `author` is a
uuid and `unread` a boolean, and an empty string is neither, so these serializers
read the query as a plain mapping: an empty value is a value, a 400 unless the
field allows blanks (`allow_blank=True`, as `tag` does).
"""

from django.http import QueryDict
from rest_framework import serializers
from rest_framework.fields import empty


class QueryParamsSerializer(serializers.Serializer):
    """Base of every serializer of query parameters (`parameters=[...]` in the schema)."""

    def __init__(self, instance=None, data=empty, **kwargs):
        if isinstance(data, QueryDict):
            # The last value of a repeated parameter, as DRF reads a QueryDict.
            data = data.dict()
        super().__init__(instance, data=data, **kwargs)
