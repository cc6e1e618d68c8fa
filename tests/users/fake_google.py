"""A fake Google on 127.0.0.1: the OAuth token endpoint, userinfo and the id_token
signing certificates, as far as Google login (users.social) uses them.

`add_account(...)` makes a Google account and answers its access token;
`code_for(access_token)` an authorization code the token endpoint exchanges;
`id_token(account)` an id_token signed with the fake's key (`certs` serves it).
`script(path, (status, body[, headers[, delay]]), ...)` queues answers for a path
ahead of the normal ones. Every request is recorded in `requests`.
"""

import datetime
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

TOKEN_PATH = "/token"
USERINFO_PATH = "/oauth2/v2/userinfo"
CERTS_PATH = "/oauth2/v1/certs"
ISSUER = "https://accounts.google.com"
KID = "fake-google-key"


def _signing_key_and_cert() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-google")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


class FakeGoogle:
    _key_and_cert: tuple | None = None  # one RSA key for the whole run: generating is slow
    _seq = itertools.count(1)

    def __init__(self, client_id: str):
        if FakeGoogle._key_and_cert is None:
            FakeGoogle._key_and_cert = _signing_key_and_cert()
        self.key, self.cert = FakeGoogle._key_and_cert
        self.client_id = client_id
        self.accounts: dict[str, dict] = {}  # access token -> userinfo
        self.codes: dict[str, str] = {}  # authorization code -> access token
        self.requests: list[dict] = []
        self._scripts: dict[str, list[tuple]] = {}
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # A client that timed out has gone: writing to it fails, as it would at Google.
        self.server.handle_error = lambda request, client_address: None
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- the test's side ---------------------------------------------------------

    def add_account(self, email: str, name: str = "Jane Doe", *, verified: bool = True) -> str:
        n = next(self._seq)
        access_token = f"ya29.fake-{n}"
        given, _, family = name.partition(" ")
        self.accounts[access_token] = {
            "id": f"10000000000000000{n:04d}",
            "email": email,
            "verified_email": verified,
            "name": name,
            "given_name": given,
            "family_name": family,
            "picture": f"https://lh3.googleusercontent.com/a/fake-{n}",
        }
        return access_token

    def code_for(self, access_token: str) -> str:
        code = f"4/fake-code-{next(self._seq)}"
        self.codes[code] = access_token
        return code

    def id_token(self, access_token: str, **claims) -> str:
        info = self.accounts[access_token]
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": self.client_id,
            "azp": self.client_id,
            "sub": info["id"],
            "email": info["email"],
            "email_verified": info["verified_email"],
            "name": info["name"],
            "given_name": info["given_name"],
            "family_name": info["family_name"],
            "iat": now,
            "exp": now + 3600,
            **claims,
        }
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": KID})

    def script(self, path: str, *answers: tuple) -> None:
        with self._lock:
            self._scripts.setdefault(path, []).extend(answers)

    def paths_requested(self) -> list[str]:
        return [request["path"] for request in self.requests]

    # --- Google's side -----------------------------------------------------------

    def _scripted(self, path: str) -> tuple | None:
        with self._lock:
            queue = self._scripts.get(path) or []
            return queue.pop(0) if queue else None

    def _token(self, form: dict) -> tuple:
        access_token = self.codes.pop(form.get("code", ""), None)
        if (
            access_token is None
            or form.get("grant_type") != "authorization_code"
            or form.get("client_id") != self.client_id
        ):
            return 400, {"error": "invalid_grant", "error_description": "Bad Request"}
        return 200, {
            "access_token": access_token,
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": "openid email profile",
            "id_token": self.id_token(access_token),
        }

    def _userinfo(self, authorization: str) -> tuple:
        info = self.accounts.get(authorization.removeprefix("Bearer "))
        if info is None:
            return 401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}}
        return 200, info

    def _normal(self, method: str, path: str, form: dict, authorization: str) -> tuple:
        if (method, path) == ("POST", TOKEN_PATH):
            return self._token(form)
        if (method, path) == ("GET", USERINFO_PATH):
            return self._userinfo(authorization)
        if (method, path) == ("GET", CERTS_PATH):
            return 200, {KID: self.cert}
        return 404, {"error": "not_found"}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                path = urlsplit(self.path).path
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                authorization = self.headers.get("Authorization", "")
                fake.requests.append(
                    {
                        "method": self.command,
                        "path": path,
                        "form": form,
                        "authorization": authorization,
                    }
                )
                answer = fake._scripted(path) or fake._normal(
                    self.command, path, form, authorization
                )
                self._reply(*answer)

            def _reply(self, status: int, body, headers: dict | None = None, delay=0.0):
                """`body`: a dict sent as JSON, or a str sent as an HTML page."""
                time.sleep(delay)
                is_json = isinstance(body, dict)
                raw = (json.dumps(body) if is_json else body).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                kind = "application/json" if is_json else "text/html"
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = _serve

        return Handler

    def start(self) -> "FakeGoogle":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
