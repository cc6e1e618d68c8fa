"""/media/<name>: the app's side of local media (core.media, "media not everyone
may see"). A signed URL that has not expired serves its file with `Cache-Control:
private`; without a signature only public files are served (`public`, cacheable);
anything else, a bad or expired signature or a changed path, is a 404 that says
nothing of whether the file exists. With MEDIA_ACCEL_REDIRECT set the proxy sends
the file (`X-Accel-Redirect` to its internal location, deploy/nginx.conf and
deploy/Caddyfile); otherwise the app streams it (FileResponse). On S3 the bucket
serves every file and this view serves none."""

import mimetypes
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.views.decorators.http import require_safe

from .media import check_media_signature, is_public_media

PUBLIC_CACHE = "public, max-age=86400"


def _file_response(name: str, cache_control: str):
    if not isinstance(default_storage, FileSystemStorage):
        raise Http404
    try:
        path = default_storage.path(name)
    except SuspiciousFileOperation as exc:
        raise Http404 from exc
    try:
        handle = open(path, "rb")  # noqa: SIM115  (FileResponse closes it)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        raise Http404 from exc
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    accel = settings.MEDIA_ACCEL_REDIRECT
    if accel:
        handle.close()
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + quote(name)
    else:
        response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def serve_media(request, name: str):
    if "signature" in request.GET or "expires" in request.GET:
        left = check_media_signature(name, request.GET.get("expires"), request.GET.get("signature"))
        if left is None:
            raise Http404
        return _file_response(name, f"private, max-age={left}")
    if not is_public_media(name):
        raise Http404
    return _file_response(name, PUBLIC_CACHE)
