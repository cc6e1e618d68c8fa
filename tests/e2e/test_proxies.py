"""The shipped proxies (deploy/nginx.conf, deploy/Caddyfile) run for real in front
of a real daphne (issue 24, item 11): public media from disk, private media only
through the app's signed-URL check and X-Accel-Redirect, the internal location
closed to clients, the API and the WebSocket upgrade proxied.

Each config is rendered by a short list of exact substitutions (SUBSTITUTIONS_*:
upstream address, TLS/listen, media root); every other line runs as shipped, and a
substitution whose text is gone from the config fails the test, so the two cannot
drift apart silently."""

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework_simplejwt.tokens import AccessToken

from forum import media as forum_media
from forum import services
from forum.models import Privacy
from tests.e2e.conftest import BASE_DIR, free_port, running_daphne, stop, wait_until_serving
from tests.e2e.ws_client import open_socket, request
from tests.factories import image_bytes, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]

DEPLOY = BASE_DIR / "deploy"
INSTALL_HINT = "apt-get install -y nginx caddy (.ci/run installs them)"


def substitute(text: str, substitutions: list[tuple[str, str]]) -> str:
    for old, new in substitutions:
        assert old in text, f"the shipped config no longer contains {old!r}"
        text = text.replace(old, new)
    return text


def render_nginx(tmp: Path, port: int, redirect_port: int, upstream: str, media: Path) -> Path:
    # TLS off (certificates and http2 need a real name), listens on loopback ports.
    substitutions = [
        ("server web:8000;", f"server {upstream};"),
        ("listen 80;", f"listen 127.0.0.1:{redirect_port};"),
        ("listen 443 ssl;", f"listen 127.0.0.1:{port};"),
        ("    http2 on;\n", ""),
        (
            "    ssl_certificate     /etc/letsencrypt/live/api.example.com/fullchain.pem;\n",
            "",
        ),
        ("    ssl_certificate_key /etc/letsencrypt/live/api.example.com/privkey.pem;\n", ""),
        ("    ssl_protocols TLSv1.2 TLSv1.3;\n", ""),
        ("/srv/media/", f"{media}/"),
    ]
    site = substitute((DEPLOY / "nginx.conf").read_text(), substitutions)
    temp = tmp / "nginx-temp"
    temp.mkdir()
    # The shipped file is an http-level include (conf.d); this is the main file around it.
    # As root, workers would run as nobody and could not read pytest's 0700 tmp dirs.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    main = (
        f"{user}worker_processes 1;\nevents {{ worker_connections 256; }}\nhttp {{\n"
        "    include /etc/nginx/mime.types;\n"
        f"    access_log {tmp}/nginx-access.log;\n"
        + "".join(
            f"    {kind}_temp_path {temp}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + site
        + "\n}\n"
    )
    path = tmp / "nginx.conf"
    path.write_text(main)
    return path


def render_caddy(tmp: Path, port: int, upstream: str, media: Path) -> Path:
    substitutions = [
        ("{$SITE_ADDRESS:localhost} {", f"http://127.0.0.1:{port} {{"),
        ("reverse_proxy web:8000", f"reverse_proxy {upstream}"),
        ("root * /srv/media", f"root * {media}"),
    ]
    site = substitute((DEPLOY / "Caddyfile").read_text(), substitutions)
    path = tmp / "Caddyfile"
    path.write_text("{\n\tadmin off\n\tauto_https off\n}\n\n" + site)
    return path


@contextmanager
def running(command: list[str], log_path: Path, base: str, env: dict | None = None):
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        try:
            wait_until_serving(process, base, log_path, name=command[0])
            yield base
        finally:
            stop(process)


@contextmanager
def nginx_proxy(tmp: Path, upstream: str, media: Path):
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(binary):
        pytest.skip(f"nginx is not installed: {INSTALL_HINT}")
    port = free_port()
    config = render_nginx(tmp, port, free_port(), upstream, media)
    base_args = [binary, "-e", "stderr", "-p", str(tmp), "-c", str(config)]
    directives = f"daemon off; pid {tmp}/nginx.pid;"
    checked = subprocess.run(
        [*base_args, "-t", "-g", directives], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stderr
    with running([*base_args, "-g", directives], tmp / "nginx.log", f"http://127.0.0.1:{port}"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def caddy_proxy(tmp: Path, upstream: str, media: Path):
    binary = shutil.which("caddy")
    if binary is None:
        pytest.skip(f"caddy is not installed: {INSTALL_HINT}")
    port = free_port()
    config = render_caddy(tmp, port, upstream, media)
    home = {"HOME": str(tmp), "XDG_DATA_HOME": str(tmp), "XDG_CONFIG_HOME": str(tmp)}
    checked = subprocess.run(
        [binary, "validate", "--config", str(config), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **home},
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    command = [binary, "run", "--config", str(config), "--adapter", "caddyfile"]
    with running(command, tmp / "caddy.log", f"http://127.0.0.1:{port}", env=home):
        yield f"http://127.0.0.1:{port}"


PROXIES = {"nginx": nginx_proxy, "caddy": caddy_proxy}


def get(url: str, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.parametrize("proxy", sorted(PROXIES))
def test_shipped_proxy_serves_media_api_and_sockets(
    proxy, transactional_db, collected_static, tmp_path, settings
):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    author = make_user("author")
    token = str(AccessToken.for_user(author))
    upload = SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg")
    private_media = forum_media.upload_media(owner=author, upload=upload)
    private = services.create_post(
        author=author, content="followers", media=[private_media.pk], privacy=Privacy.PRIVATE
    )
    private_bytes = (media / private_media.file.name).read_bytes()
    public_files = {
        "avatars/2026/12/a.jpg": b"\xff\xd8avatar",
        "products/7/p.jpg": b"\xff\xd8product",
    }
    for name, content in public_files.items():
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        (media / name).write_bytes(content)

    env = {"MEDIA_ROOT": str(media), "MEDIA_ACCEL_REDIRECT": "/_protected_media/"}
    with (
        running_daphne(collected_static, tmp_path, env=env) as app,
        PROXIES[proxy](tmp_path, app.removeprefix("http://"), media) as base,
    ):
        # The API through the proxy.
        status, _, body = get(f"{base}/api/v1/forum/posts/{private.pk}/", token)
        assert status == 200, body
        parts = urlsplit(json.loads(body)["media_url"])
        assert parts.netloc == urlsplit(base).netloc  # the client's Host, port included
        assert parts.path == f"/media/{private_media.file.name}" and "signature=" in parts.query

        # Public media: from disk with the public Cache-Control; the app never sees them.
        for name, content in public_files.items():
            status, headers, body = get(f"{base}/media/{name}")
            assert (status, body) == (200, content), name
            assert headers["Cache-Control"] == "public, max-age=86400"
            assert headers["X-Content-Type-Options"] == "nosniff"
            assert f"/media/{name}" not in (tmp_path / "daphne.log").read_text()

        # A private image: the app checks the signature, the proxy sends the file.
        status, headers, body = get(f"{base}{parts.path}?{parts.query}")
        assert status == 200 and body == private_bytes
        assert headers["Cache-Control"].startswith("private, max-age=")
        assert headers["Content-Type"] == "image/jpeg"
        assert "X-Accel-Redirect" not in headers
        # (The app's access log names what reached it: the check above has teeth.)
        assert parts.path in (tmp_path / "daphne.log").read_text()
        # Without the signature, or with a tampered one: 404.
        assert get(f"{base}{parts.path}")[0] == 404
        tampered = parts.query.replace("signature=", "signature=x")
        assert get(f"{base}{parts.path}?{tampered}")[0] == 404
        # The internal location is closed to clients.
        assert get(f"{base}/_protected_media/{private_media.file.name}")[0] == 404

        # The WebSocket upgrade passes through, authenticated by subprotocol.
        with open_socket(base, token) as ws:
            answer = request(ws, "ping", {}, "r1")
            assert answer["type"] != "error", answer
