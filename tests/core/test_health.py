import socket

import pytest
from django.db import connection
from django.test import override_settings


@pytest.fixture
def closed_port():
    """A local port bound but not listening: connecting to it is refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


def test_health_answers_without_touching_the_database(client):
    # No `db` fixture: any query would raise "Database access not allowed".
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_is_not_throttled_nor_authenticated(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "1/min",
        },
    }
    statuses = {client.get("/health/").status_code for _ in range(3)}

    assert statuses == {200}


@pytest.mark.django_db
def test_ready_checks_every_backing_service(client):
    response = client.get("/ready/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "cache": "ok",
            "channel_layer": "ok",
            "realtime_store": "ok",
            "celery_broker": "ok",
        },
    }


@pytest.mark.django_db
def test_ready_names_the_cache_when_it_is_down(client, closed_port):
    broken = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        }
    }
    with override_settings(CACHES=broken):
        response = client.get("/ready/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["cache"]
    assert body["checks"] == {
        "database": "ok",
        "cache": "failed",
        "channel_layer": "ok",
        "realtime_store": "ok",
        "celery_broker": "ok",
    }


@pytest.mark.django_db
def test_ready_names_the_channel_layer_when_it_is_down(client, closed_port):
    broken = {
        "default": {
            "BACKEND": "realtime.layer.PubSubChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{closed_port}/0"]},
        }
    }
    with override_settings(CHANNEL_LAYERS=broken):
        response = client.get("/ready/")

    assert response.status_code == 503
    assert response.json()["failed"] == ["channel_layer"]


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_ready_names_the_database_when_it_is_down(client, closed_port):
    original_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(closed_port)
    try:
        response = client.get("/ready/")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original_port

    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    # The connection recovers once the database is back.
    assert client.get("/ready/").status_code == 200


@pytest.mark.django_db
def test_ready_logs_which_check_failed(client, closed_port, caplog):
    broken = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        }
    }
    with override_settings(CACHES=broken):
        client.get("/ready/")

    # An outage is expected in a probe: one warning naming the check and the error.
    failures = [r for r in caplog.records if r.name == "core.health"]
    assert len(failures) == 1
    assert failures[0].levelname == "WARNING"
    assert failures[0].getMessage().startswith("readiness check cache failed: ConnectionError")


@pytest.mark.django_db
def test_ready_logs_a_failing_check_s_traceback_when_it_is_no_outage(client, caplog, monkeypatch):
    from core import health

    def broken():
        raise ValueError("a bug")

    monkeypatch.setitem(health.CHECKS, "cache", broken)
    client.get("/ready/")

    failures = [r for r in caplog.records if r.name == "core.health"]
    assert [r.getMessage() for r in failures] == ["readiness check cache failed"]
    assert failures[0].exc_info is not None


# --- the Celery broker and the optional parts (S3, Stripe) ---------------------------


@pytest.mark.django_db
def test_ready_names_the_celery_broker_when_it_is_down(client, settings, closed_port):
    from config.celery import app

    url = f"redis://127.0.0.1:{closed_port}/0"
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = url, False
    try:
        response = client.get("/ready/")
    finally:
        app.conf.broker_url, app.conf.task_always_eager = previous

    assert response.status_code == 503
    assert response.json()["failed"] == ["celery_broker"]
    assert response.json()["checks"]["celery_broker"] == "failed"


@pytest.mark.django_db
def test_ready_reports_stripe_and_s3_when_configured(client, settings, monkeypatch):
    from tests.ops.fake_http import fake_http

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")

    with fake_http(200, b'{"object": "balance"}') as fake:
        settings.STRIPE_SECRET_KEY = "sk_test_ready"
        settings.STRIPE_API_BASE = fake.url
        settings.AWS_STORAGE_BUCKET_NAME = "ready-bucket"
        settings.AWS_S3_ENDPOINT_URL = fake.url
        settings.AWS_S3_REGION_NAME = "us-east-1"
        response = client.get("/ready/")
        paths = {(r["method"], r["path"]) for r in fake.received}

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["optional"] == {"s3": "ok", "stripe": "ok"}
    assert "degraded" not in body
    assert ("GET", "/v1/balance") in paths
    assert ("HEAD", "/ready-bucket") in paths


@pytest.mark.django_db
def test_optional_parts_down_do_not_fail_readiness(client, settings, closed_port, monkeypatch):
    from tests.ops.fake_http import fake_http

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")

    with fake_http(500) as stripe:
        settings.STRIPE_SECRET_KEY = "sk_test_ready"
        settings.STRIPE_API_BASE = stripe.url
        settings.AWS_STORAGE_BUCKET_NAME = "ready-bucket"
        settings.AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{closed_port}"
        settings.AWS_S3_REGION_NAME = "us-east-1"
        response = client.get("/ready/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["optional"] == {"s3": "failed", "stripe": "failed"}
    assert body["degraded"] == ["s3", "stripe"]
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_unconfigured_optional_parts_are_not_checked(client, settings):
    settings.AWS_STORAGE_BUCKET_NAME = ""
    settings.STRIPE_SECRET_KEY = ""

    body = client.get("/ready/").json()

    assert "optional" not in body
