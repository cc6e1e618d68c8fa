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


class SyncChainMiddleware:
    """Innermost marker that keeps the middleware chain in sync mode under ASGI.

    Django's own middleware is dual-mode; in async mode each one hops to a
    worker thread for its request and response hooks. A sync-only middleware at
    the innermost position makes Django run the whole chain, and the sync views
    behind it, in one thread hop per request (measured in bench/: about half the
    per-request overhead of the mixed chain). WebSocket traffic does not pass
    through here. Drop it once most views are async.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
