"""/ready/ runs the checks the parts of the project register (core/health.py), and
answers byte for byte as it did when core ran them all itself."""

import pytest

from commerce.health import check_stripe
from core import health
from core.storage import check_s3

ALL_OK = (
    b'{"status": "ok", "checks": {"database": "ok", "cache": "ok", "channel_layer": "ok",'
    b' "realtime_store": "ok", "celery_broker": "ok"}}'
)


@pytest.mark.django_db
def test_ready_answers_the_same_bytes(client):
    response = client.get("/ready/")

    assert response.status_code == 200
    assert response.content == ALL_OK


def test_each_part_registers_its_own_check():
    """In the order the probe reports them (the optional ones' order, s3 then
    stripe, is checked by test_health's degraded list)."""
    assert list(health.CHECKS) == [
        "database",
        "cache",
        "channel_layer",
        "realtime_store",
        "celery_broker",
    ]
    assert (
        health.CHECKS["celery_broker"].__qualname__ == "celery_broker.<locals>.check_celery_broker"
    )
    assert [(name, check) for name, (check, _) in health.OPTIONAL_CHECKS.items()] == [
        ("s3", check_s3),
        ("stripe", check_stripe),
    ]


@pytest.mark.django_db
def test_a_registered_check_fails_readiness_and_an_unconfigured_one_is_not_run(client, monkeypatch):
    ran = []

    def down():
        raise health.CheckFailed("search index is down")

    def never():
        ran.append("never")

    monkeypatch.setitem(health.CHECKS, "search", down)
    monkeypatch.setitem(health.OPTIONAL_CHECKS, "mailer", (never, lambda: False))

    response = client.get("/ready/")

    assert response.status_code == 503
    assert response.json()["failed"] == ["search"]
    assert "optional" not in response.json()
    assert ran == []


def test_register_adds_required_and_optional_checks(monkeypatch):
    monkeypatch.setattr(health, "CHECKS", dict(health.CHECKS))
    monkeypatch.setattr(health, "OPTIONAL_CHECKS", dict(health.OPTIONAL_CHECKS))

    def check():
        return None

    health.register("queue", check)
    health.register("cdn", check, configured=lambda: True)

    assert health.CHECKS["queue"] is check
    assert health.optional_checks()["cdn"] is check
