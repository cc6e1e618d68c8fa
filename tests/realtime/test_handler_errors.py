"""A socket handler that refuses answers an `error` frame with the code REST gives.

Every kind of refusal a handler (or a service it calls) can raise is raised from a
registered handler over the real gateway, and the same exception is raised from a
DRF view: the frame's code and field are the REST body's code and attr. Only an
unexpected exception is an `internal_error`, and it is logged.
"""

import json
import logging

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.core import exceptions as django_exceptions
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core import exceptions as domain
from realtime import codes, registry

from .conftest import access_token

DB = pytest.mark.django_db(transaction=True)


class _NameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=3)


def _serializer_refusal():
    _NameSerializer(data={"name": "too long"}).is_valid(raise_exception=True)


def _missing_user():
    get_user_model().objects.get(email="nobody@example.com")


def _raiser(exc):
    def raise_it():
        raise exc

    return raise_it


# (id, what the handler does, REST's code, REST's attr)
REFUSALS = [
    (
        "domain invalid input with a field",
        _raiser(domain.invalid("tags", "At most 5 tags.", "too_many_tags")),
        "too_many_tags",
        "tags",
    ),
    (
        "domain invalid input without a field",
        _raiser(domain.InvalidInput("cannot_follow_self", "You cannot follow yourself.")),
        "cannot_follow_self",
        None,
    ),
    (
        "domain conflict",
        _raiser(domain.Conflict("already_reported", "You have already reported this.")),
        "already_reported",
        None,
    ),
    ("domain not found", _raiser(domain.NotFound("not_found", "No such post.")), "not_found", None),
    (
        "domain forbidden",
        _raiser(domain.Forbidden("not_author", "Only the author can edit this post.")),
        "not_author",
        None,
    ),
    ("serializer validation", _serializer_refusal, "max_length", "name"),
    ("drf not found", _raiser(drf_exceptions.NotFound()), "not_found", None),
    ("drf forbidden", _raiser(drf_exceptions.PermissionDenied()), "permission_denied", None),
    ("drf throttled", _raiser(drf_exceptions.Throttled(wait=5)), "throttled", None),
    ("drf anonymous", _raiser(drf_exceptions.NotAuthenticated()), "not_authenticated", None),
    (
        "django validation error",
        _raiser(django_exceptions.ValidationError("Not a valid UUID.", code="invalid_uuid")),
        "invalid_uuid",
        "non_field_errors",
    ),
    (
        "django validation error by field",
        _raiser(django_exceptions.ValidationError({"email": ["Enter a valid email."]})),
        "invalid",
        "email",
    ),
    ("django http404", _raiser(Http404("No such thing.")), "not_found", None),
    ("orm does not exist", _missing_user, "not_found", None),
    (
        "django permission denied",
        _raiser(django_exceptions.PermissionDenied()),
        "permission_denied",
        None,
    ),
]
IDS = [case[0] for case in REFUSALS]


@pytest.fixture
def refusing_handlers():
    names = {}
    for index, (_, refuse, _, _) in enumerate(REFUSALS):
        name = f"test.refusal_{index}"

        def handler(context, data, refuse=refuse):
            refuse()

        registry.register_handler(name, handler)
        names[index] = name

    async def crash(context, data):
        raise KeyError("a bug")

    registry.register_handler("test.crash_unexpectedly", crash)
    yield names
    for name in [*names.values(), "test.crash_unexpectedly"]:
        registry.unregister_handler(name)


def _rest_error(refuse) -> dict:
    return _rest_body(refuse)["errors"][0]


def _rest_body(refuse) -> dict:
    class RefusingView(APIView):
        authentication_classes = ()
        permission_classes = ()

        def get(self, request):
            refuse()

    response = RefusingView.as_view()(APIRequestFactory().get("/api/refusal"))
    assert 400 <= response.status_code < 500, response.data
    return json.loads(json.dumps(response.data))


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "refuse", "code", "attr"), REFUSALS, ids=IDS)
def test_rest_answers_each_refusal_with_its_code_and_attr(case, refuse, code, attr):
    error = _rest_error(refuse)
    assert (error["code"], error["attr"]) == (code, attr)


@DB
async def test_a_handler_refusing_gets_the_rest_code_and_field_never_internal_error(
    refusing_handlers, make_user, open_socket, caplog
):
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))
    rest_bodies = await database_sync_to_async(
        lambda: [_rest_body(refuse) for _, refuse, _, _ in REFUSALS]
    )()

    with caplog.at_level(logging.ERROR, logger="realtime.consumers"):
        for index, (case, _, code, attr) in enumerate(REFUSALS):
            reply = await socket.request(refusing_handlers[index])
            assert reply["type"] == "error", case
            # Exactly the body REST answers: one error shape on both transports.
            assert reply["data"] == rest_bodies[index], case
            assert reply["data"]["errors"][0]["code"] == code
            assert reply["data"]["errors"][0]["attr"] == attr
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not failures, "a refusal is not a failure: nothing is logged as one"
    await socket.ping()


@DB
async def test_an_unexpected_exception_is_internal_error_and_logged(
    refusing_handlers, make_user, open_socket, caplog
):
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))

    with caplog.at_level(logging.ERROR, logger="realtime.consumers"):
        reply = await socket.request("test.crash_unexpectedly")
    assert reply["type"] == "error"
    assert reply["data"]["errors"][0]["code"] == codes.INTERNAL_ERROR
    assert "a bug" not in reply["data"]["errors"][0]["detail"]
    crashes = [record.exc_info[0] for record in caplog.records if record.exc_info]
    assert crashes == [KeyError]
    await socket.ping()


@DB
async def test_gateway_refusals_name_the_missing_field(make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))

    reply = await socket.request("subscribe", {})
    assert reply["data"]["errors"][0]["code"] == codes.INVALID_DATA
    assert reply["data"]["errors"][0]["attr"] == "stream"
    reply = await socket.request("auth.refresh", {})
    assert reply["data"]["errors"][0]["code"] == codes.INVALID_DATA
    assert reply["data"]["errors"][0]["attr"] == "token"
    reply = await socket.request("no.such.type")
    assert reply["data"] == {
        "type": "client_error",
        "errors": [
            {
                "code": codes.UNKNOWN_TYPE,
                "detail": "Unknown message type 'no.such.type'.",
                "attr": None,
            }
        ],
    }
