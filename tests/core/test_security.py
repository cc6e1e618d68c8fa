import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
ALLOWED = "https://app.example.com"


def production_env() -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "api.example.com",
        "PUBLIC_ORIGIN": "https://api.example.com",
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return env


def test_deploy_check_passes_with_production_env():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_fails_with_the_development_secret():
    env = production_env()
    del env["SECRET_KEY"]

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def preflight(client, origin):
    return client.options(
        "/api/v1/auth/login/",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_cors_preflight_from_an_allowed_origin_gets_the_headers(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]

    response = preflight(client, ALLOWED)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_cors_preflight_from_another_origin_gets_none(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]

    response = preflight(client, "https://evil.example.net")

    assert "Access-Control-Allow-Origin" not in response


def test_cors_exposes_request_id_and_retry_after(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]

    response = client.get("/api/v1/nope/", headers={"Origin": ALLOWED})

    assert response["Access-Control-Allow-Origin"] == ALLOWED
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"x-request-id", "retry-after"} <= exposed


def test_security_headers_are_set(client):
    response = client.get("/health/")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_ssl_redirect_spares_the_probes(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/health/").status_code == 200
    assert client.get("/ready/").status_code == 200
    redirect = client.get("/api/v1/nope/")
    assert redirect.status_code == 301
    assert redirect["Location"].startswith("https://")
    # Behind the proxy, which says the request came over TLS.
    assert client.get("/api/v1/nope/", headers={"X-Forwarded-Proto": "https"}).status_code == 404
