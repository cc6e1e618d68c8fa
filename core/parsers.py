"""The API's JSON parser: DRF's, with a bound on nesting depth (`API_JSON_MAX_DEPTH`)."""

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json as drf_json

from core import json_depth


class JSONParser(parsers.JSONParser):
    """A body nested deeper than `API_JSON_MAX_DEPTH` is a 400 `parse_error`, like any
    malformed JSON, instead of a RecursionError (a 500) in the decoder or later."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
            parse_constant = drf_json.strict_constant if self.strict else None
            return json_depth.loads(
                text, max_depth=int(settings.API_JSON_MAX_DEPTH), parse_constant=parse_constant
            )
        except ValueError as exc:  # UnicodeDecodeError and TooDeeplyNested included
            raise ParseError(f"JSON parse error - {exc}") from None
