"""Sentry: on with SENTRY_DSN (a local fake Sentry receives the events), off without."""

import gzip
import json
import zlib

from tests.fresh_interpreter import json_from_fresh_interpreter
from tests.ops.fake_http import fake_http

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoic2VjcmV0In0.c2lnbmF0dXJlLXNlY3JldA"

CRASH = f"""
import django, os
django.setup()
import sentry_sdk
from django.test import Client
from django.test.utils import override_settings
client = sentry_sdk.get_client()
with override_settings(ROOT_URLCONF="tests.core.urls"):
    status = Client(raise_request_exception=False).get(
        "/api/v1/probe/crash/?token={JWT}&page=2",
        headers={{"Authorization": "Bearer {JWT}", "Cookie": "sessionid=cookie-secret"}},
    ).status_code
sentry_sdk.flush(timeout=5)
"""


def _decode(body: bytes, encoding: str | None) -> str:
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding == "deflate":
        body = zlib.decompress(body)
    elif encoding == "br":
        import brotli

        body = brotli.decompress(body)
    return body.decode()


def test_without_a_dsn_nothing_is_set_up():
    result = json_from_fresh_interpreter(
        "import django; django.setup(); import sentry_sdk",
        "sentry_sdk.get_client().is_active()",
        SENTRY_DSN=None,
    )

    assert result is False


def test_with_a_dsn_errors_reach_sentry_without_personal_data_or_tokens():
    with fake_http(200) as sentry:
        result = json_from_fresh_interpreter(
            CRASH,
            "dict(status=status, active=client.is_active(), "
            "integrations=sorted(client.integrations), pii=client.options['send_default_pii'])",
            SENTRY_DSN=f"http://publickey@127.0.0.1:{sentry.server_address[1]}/42",
            SENTRY_ENVIRONMENT="test",
            DJANGO_SETTINGS_MODULE="config.settings",
        )
        envelopes = [
            _decode(r["body"], r["headers"].get("Content-Encoding"))
            for r in sentry.received
            if r["path"].startswith("/api/42/envelope")
        ]

    assert result["status"] == 500
    assert result["active"] is True
    assert {"django", "celery"} <= set(result["integrations"])
    assert result["pii"] is False
    events = [
        json.loads(line)
        for envelope in envelopes
        for line in envelope.splitlines()
        if line.startswith("{") and '"exception"' in line
    ]
    assert events, envelopes
    event = events[0]
    assert event["exception"]["values"][-1]["value"] == "probe crash"
    assert event["environment"] == "test"
    assert event["tags"]["request_id"]
    text = "\n".join(envelopes)
    for secret in (JWT, "c2lnbmF0dXJlLXNlY3JldA", "cookie-secret"):
        assert secret not in text
    assert "user" not in event or "ip_address" not in event.get("user", {})


def test_scrub_event_redacts_tokens_wherever_they_are():
    from core.sentry import scrub_event

    event = {
        "request": {"query_string": f"token={JWT}&page=2", "url": "http://h/ws/"},
        "extra": {"body": '{"password": "hunter2-x"}'},
        "breadcrumbs": {"values": [{"message": f"Authorization: Bearer {JWT}"}]},
    }

    scrubbed = json.dumps(scrub_event(event))

    assert JWT not in scrubbed and "hunter2-x" not in scrubbed
    assert event["request"]["query_string"] == "token=[redacted]&page=2"
