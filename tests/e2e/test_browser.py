"""The real server judged by a real browser: headless Chromium (Debian's package)
driven by Playwright, against daphne on the test database."""

import contextlib
import http.server
import threading
from urllib.parse import urlencode, urlparse

import pytest

from tests.e2e.conftest import running_daphne
from tests.e2e.test_journey import call, register

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres, pytest.mark.browser]

TIMEOUT_MS = 15_000


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in {"data", "blob", "about"} or parsed.hostname in {
        "127.0.0.1",
        "localhost",
    }


def _operation(base: str, path: str, method: str) -> dict:
    status, schema = call(base, "GET", "/api/schema/?format=json")
    assert status == 200
    return schema["paths"][path][method]


def test_swagger_ui_loads_offline_and_try_it_out_lists_the_feed(daphne_server, page, artifacts_dir):
    alice = register(daphne_server, "alice-browser@example.com")
    status, _ = call(
        daphne_server,
        "POST",
        "/api/v1/forum/posts/",
        {"content": "seen in swagger"},
        alice["access"],
    )
    assert status == 201
    feed = _operation(daphne_server, "/api/v1/forum/posts/", "get")

    page.goto(f"{daphne_server}/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for(timeout=TIMEOUT_MS)

    page.locator("button.authorize").first.click()
    page.locator(".modal-ux input[type=text]").first.fill(alice["access"])
    page.locator(".modal-ux button.authorize").first.click()
    page.locator(".modal-ux button.btn-done").first.click()

    operation = page.locator(f'[id="operations-{feed["tags"][0]}-{feed["operationId"]}"]')
    operation.locator(".opblock-summary").first.click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    status_cell = operation.locator(".live-responses-table .response .response-col_status").first
    status_cell.wait_for(timeout=TIMEOUT_MS)
    body = operation.locator(".live-responses-table .response-col_description pre").first

    assert status_cell.inner_text().strip() == "200"
    assert "seen in swagger" in body.inner_text()
    page.screenshot(path=artifacts_dir / "swagger-try-it-out.png", full_page=False)
    leaving = [url for url in page.requests if not _is_local(url)]
    assert leaving == [], f"requests left the machine: {leaving}"


SOCKET_PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>socket</title></head>
<body>
<p id="state">connecting</p>
<ul id="events"></ul>
<script>
const params = new URLSearchParams(location.search);
const ws = new WebSocket(params.get("ws"), ["bearer", params.get("token")]);
window.frames = [];
ws.onopen = () => {
  document.getElementById("state").textContent = "open";
  if (params.get("post")) {
    const stream = "post:" + params.get("post");
    ws.send(JSON.stringify({type: "subscribe", ref: "sub", data: {stream}}));
  }
};
ws.onclose = (event) => { document.getElementById("state").textContent = "closed " + event.code; };
ws.onmessage = (message) => {
  const frame = JSON.parse(message.data);
  window.frames.push(frame);
  if (frame.type === "ack" && frame.ref === "sub") {
    document.getElementById("state").textContent = "subscribed";
  }
  if (frame.type === "chat.message.new") {
    const item = document.createElement("li");
    item.className = "chat";
    item.textContent = frame.data.sender.username + ": " + frame.data.body;
    document.getElementById("events").append(item);
  }
  if (frame.type === "forum.post.liked") {
    const item = document.createElement("li");
    item.className = "liked";
    item.textContent = frame.data.post_id + " " + frame.data.like_count;
    document.getElementById("events").append(item);
  }
};
</script>
</body></html>
"""


# A web frontend's session on another origin, as docs/api.md's "Web frontend on
# another origin" has it: cookie-mode login, a cookie refresh with the CSRF header
# read from the csrftoken cookie, then the socket with the refreshed access token.
WEB_SESSION_PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>web session</title></head>
<body>
<script>
async function step(call) {
  try { return await call(); } catch (error) { return {error: String(error)}; }
}
async function post(url, body, headers) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "include",
    headers: {"Content-Type": "application/json", ...headers},
    body: JSON.stringify(body),
  });
  return {status: response.status, body: await response.json()};
}
function csrfToken() {
  const found = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
  return found ? decodeURIComponent(found[1]) : null;
}
function openSocket(url, token) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ["bearer", token]);
    ws.onopen = () => { ws.close(1000); resolve("open"); };
    ws.onerror = () => {};
    ws.onclose = (event) => resolve("closed " + event.code);
  });
}
window.webSession = async (api, email, password, socketToken) => {
  const out = {};
  out.login = await step(() => post(api + "/api/v1/auth/login/", {email, password},
                                    {"X-Session-Cookie": "1"}));
  out.refreshCookieVisible = document.cookie.includes("refresh_token=");
  out.refresh = await step(() => post(api + "/api/v1/auth/token/refresh/", {},
                                      {"X-CSRFToken": csrfToken() || ""}));
  const access = (out.refresh.body && out.refresh.body.access) || socketToken;
  out.socket = await openSocket(api.replace("http://", "ws://") + "/ws/", access);
  return out;
};
</script>
</body></html>
"""

PAGES = {"/web-session.html": WEB_SESSION_PAGE}


class _PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = PAGES.get(urlparse(self.path).path, SOCKET_PAGE)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _page_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def frontend_page_url():
    """A page of the test's own, on another port, as a web frontend would be."""
    with _page_server() as url:
        yield url


@pytest.fixture
def foreign_page_url():
    """The same pages on yet another port: an origin the server was not told of."""
    with _page_server() as url:
        yield url


@pytest.fixture
def daphne_server(transactional_db, collected_static, tmp_path, frontend_page_url):
    """The server with the frontend page's origin configured as a web origin:
    pages of any other origin but its own may not open its socket."""
    env = {
        "WEB_ORIGINS": frontend_page_url.rstrip("/"),
        # Plain HTTP, as in development: the refresh cookie cannot be Secure.
        "JWT_AUTH_SECURE": "false",
    }
    with running_daphne(collected_static, tmp_path, env=env) as url:
        yield url


def _web_session(page, page_url, api, email, socket_token=None) -> dict:
    page.goto(f"{page_url}web-session.html")
    return page.evaluate(
        "([api, email, password, token]) => window.webSession(api, email, password, token)",
        [api, email, MODERATOR_PASSWORD, socket_token],
    )


def test_a_frontend_on_a_configured_origin_logs_in_refreshes_by_cookie_and_opens_the_socket(
    daphne_server, page, frontend_page_url
):
    user = register(daphne_server, "web-origin@example.com")

    got = _web_session(page, frontend_page_url, daphne_server, "web-origin@example.com")

    assert got["login"]["status"] == 200, got
    assert set(got["login"]["body"]) == {"access", "user"}
    assert got["login"]["body"]["user"]["id"] == user["user"]["id"]
    assert got["refreshCookieVisible"] is False  # HttpOnly
    assert got["refresh"]["status"] == 200, got
    assert set(got["refresh"]["body"]) == {"access"}
    assert got["socket"] == "open"


def test_a_frontend_on_another_origin_can_read_nothing_and_open_no_socket(
    daphne_server, page, foreign_page_url
):
    user = register(daphne_server, "foreign-origin@example.com")

    got = _web_session(
        page, foreign_page_url, daphne_server, "foreign-origin@example.com", user["access"]
    )

    assert "Failed to fetch" in got["login"].get("error", ""), got  # CORS refused the read
    assert "Failed to fetch" in got["refresh"].get("error", ""), got
    assert got["socket"] == "closed 1006", got  # the handshake was refused


def test_a_browser_socket_receives_a_like_sent_over_rest(daphne_server, page, frontend_page_url):
    alice = register(daphne_server, "alice-socket@example.com")
    bob = register(daphne_server, "bob-socket@example.com")
    status, post = call(
        daphne_server, "POST", "/api/v1/forum/posts/", {"content": "like me"}, alice["access"]
    )
    assert status == 201
    query = urlencode(
        {
            "ws": daphne_server.replace("http://", "ws://") + "/ws/",
            "token": alice["access"],
            "post": post["id"],
        }
    )

    page.goto(f"{frontend_page_url}?{query}")
    page.wait_for_function(
        "document.getElementById('state').textContent === 'subscribed'", timeout=TIMEOUT_MS
    )
    status, _ = call(
        daphne_server, "POST", f"/api/v1/forum/posts/{post['id']}/like/", token=bob["access"]
    )
    assert status in (200, 201)

    liked = page.locator("li.liked").first
    liked.wait_for(timeout=TIMEOUT_MS)
    assert liked.inner_text() == f"{post['id']} 1"


MODERATOR_PASSWORD = "a-long-pass-phrase"  # register()'s


@pytest.fixture
def moderator_email(daphne_server) -> str:
    """Registered through the server, so its password hash is one daphne can check
    (the suite's own hasher is a fast one), then made staff with the moderation
    queue's permissions. Given to the user, not through the `moderators` group: an
    earlier transactional test's flush empties the rows the data migrations made."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    register(daphne_server, "mod-admin@example.com")
    moderator = get_user_model().objects.get(email="mod-admin@example.com")
    moderator.is_staff = True
    moderator.save(update_fields=["is_staff"])
    moderator.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="forum",
            # Resolving by hiding hides the post: that is the posts' permission.
            codename__in=["view_report", "change_report", "change_forumpost"],
        )
    )
    return moderator.email


def test_a_moderator_hides_a_reported_post_from_the_admin_and_it_leaves_the_feed(
    daphne_server, moderator_email, page, artifacts_dir
):
    author = register(daphne_server, "author-admin@example.com")
    reader = register(daphne_server, "reader-admin@example.com")
    status, post = call(
        daphne_server, "POST", "/api/v1/forum/posts/", {"content": "reported"}, author["access"]
    )
    assert status == 201
    status, _ = call(
        daphne_server,
        "POST",
        f"/api/v1/forum/posts/{post['id']}/report/",
        {"reason": "spam"},
        reader["access"],
    )
    assert status == 201

    page.goto(f"{daphne_server}/admin/login/")
    page.fill("#id_username", moderator_email)
    page.fill("#id_password", MODERATOR_PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{daphne_server}/admin/forum/report/")
    page.locator("input.action-select").first.check()
    page.select_option("select[name=action]", "hide_content")
    page.click("button[name=index]")
    page.locator(".messagelist .success").wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=artifacts_dir / "admin-report-hidden.png")

    assert "1 report(s) handled." in page.locator(".messagelist").inner_text()
    status, feed = call(daphne_server, "GET", "/api/v1/forum/posts/", token=reader["access"])
    assert status == 200
    assert post["id"] not in [p["id"] for p in feed["posts"]]
    status, _ = call(
        daphne_server, "GET", f"/api/v1/forum/posts/{post['id']}/", token=reader["access"]
    )
    assert status == 404


def test_a_browser_socket_receives_a_chat_message_sent_over_rest(
    daphne_server, page, frontend_page_url
):
    alice = register(daphne_server, "alice-chat@example.com")
    bob = register(daphne_server, "bob-chat@example.com")
    status, conversation = call(
        daphne_server,
        "POST",
        "/api/v1/chat/conversations/",
        {"kind": "direct", "participant_ids": [alice["user"]["id"]]},
        bob["access"],
    )
    assert status == 201, conversation
    query = urlencode(
        {"ws": daphne_server.replace("http://", "ws://") + "/ws/", "token": alice["access"]}
    )

    page.goto(f"{frontend_page_url}?{query}")
    page.wait_for_function(
        "document.getElementById('state').textContent === 'open'", timeout=TIMEOUT_MS
    )
    status, message = call(
        daphne_server,
        "POST",
        f"/api/v1/chat/conversations/{conversation['id']}/messages/",
        {"body": "hello from bob", "client_ref": "b-1"},
        bob["access"],
    )
    assert status == 201, message

    received = page.locator("li.chat").first
    received.wait_for(timeout=TIMEOUT_MS)
    assert received.inner_text() == f"{bob['user']['username']}: hello from bob"


@pytest.fixture
def staff_email(daphne_server) -> str:
    """A superuser registered through the server (see `moderator_email`)."""
    from django.contrib.auth import get_user_model

    register(daphne_server, "staff-dashboard@example.com")
    get_user_model().objects.filter(email="staff-dashboard@example.com").update(
        is_staff=True, is_superuser=True
    )
    return "staff-dashboard@example.com"


def test_staff_see_every_dashboard_chart_drawn(daphne_server, staff_email, page, artifacts_dir):
    from staff import dashboard

    expected = set(dashboard._series)

    page.goto(f"{daphne_server}/admin/login/?next=/admin/dashboard/%3Fdays%3D30")
    page.fill("#id_username", staff_email)
    page.fill("#id_password", MODERATOR_PASSWORD)
    page.click("input[type=submit]")
    page.locator("svg.chart").first.wait_for(timeout=TIMEOUT_MS)

    drawn = set(page.eval_on_selector_all("svg.chart", "els => els.map(e => e.dataset.series)"))
    bars = page.eval_on_selector_all(
        "svg.chart", "els => els.map(e => e.querySelectorAll('rect.bar').length)"
    )
    page.screenshot(path=artifacts_dir / "admin-dashboard.png", full_page=True)
    assert drawn == expected
    assert {"daily_active_users", "posts", "chat_messages", "orders", "revenue"} <= drawn
    assert bars == [30] * len(expected), "one bar per day of the range"


def test_redoc_renders_and_asks_no_other_host(daphne_server, page, artifacts_dir):
    # The bundle draws Redocly's logo from cdn.redoc.ly; the page's policy must
    # stop that in the browser ("csp"), not leave it to fail on the network.
    blocked = []
    page.on("requestfailed", lambda req: req.failure == "csp" and blocked.append(req.url))
    logo_blocked = page.expect_event(
        "requestfailed", lambda req: "cdn.redoc.ly" in req.url, timeout=TIMEOUT_MS
    )
    with logo_blocked as logo:
        page.goto(f"{daphne_server}/api/redoc/")
        page.get_by_text("API docs by Redocly").wait_for(timeout=TIMEOUT_MS)
    assert logo.value.failure == "csp"
    page.locator("h1", has_text="Platform API").first.wait_for(timeout=TIMEOUT_MS)

    page.screenshot(path=artifacts_dir / "redoc.png", full_page=False)
    leaving = [url for url in page.requests if not _is_local(url) and url not in blocked]
    assert leaving == [], f"requests left the machine: {leaving}"
