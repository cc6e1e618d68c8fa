from . import request_id

HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Give every request an id (the client's X-Request-ID if sane), log it, echo it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request_id.from_header(request.headers.get(HEADER))
        token = request_id.set_(request.id)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = request.id
        return response
