"""The socket's contract, checked on every frame the suite makes (pytest plugin,
`-p tests.event_contract` in pyproject's addopts).

Every event published (`realtime.publish`), every frame a socket sends and every
client frame a socket accepts (its handler answered) is validated against its
message in the AsyncAPI document (`realtime.asyncapi`, the one `/api/asyncapi/`
serves). A test that emits an undeclared type or a payload its schema refuses
fails, naming the frame. Types starting `test.` / `tests.` (the suite's own
helpers) are let through. Only what runs in this process is seen: the e2e
tests' daphne is checked by the in-process tests that drive the same code.
"""

import json
import threading

import pytest

_violations: list[str] = []
_lock = threading.Lock()
_validators: dict = {}
_document: dict = {}


def _load() -> dict:
    if not _document:
        from realtime.asyncapi import build_document

        _document.update(build_document())
    return _document


def _validator(pointer: str):
    validator = _validators.get(pointer)
    if validator is None:
        from jsonschema import Draft7Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT7

        registry = Registry().with_resource(
            "urn:asyncapi", Resource.from_contents(_load(), default_specification=DRAFT7)
        )
        validator = Draft7Validator(
            {"$ref": f"urn:asyncapi#{pointer}"},
            registry=registry,
            format_checker=Draft7Validator.FORMAT_CHECKER,
        )
        _validators[pointer] = validator
    return validator


def _is_test_type(name) -> bool:
    from realtime.catalogue import is_test_type

    return is_test_type(name)


def check(key: str, instance, *, pointer_suffix: str = "", what: str) -> str | None:
    """Why `instance` is not `key`'s message (its `pointer_suffix` part), or None."""
    messages = _load()["components"]["messages"]
    if key not in messages:
        return f"{what}: undeclared type {key!r} (declare it in realtime.catalogue)"
    pointer = f"/components/messages/{key}/payload{pointer_suffix}"
    errors = sorted(_validator(pointer).iter_errors(instance), key=lambda e: list(e.path))
    if not errors:
        return None
    shown = "; ".join(
        f"at {'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in errors[:3]
    )
    return f"{what} {key!r} does not match its schema: {shown}"


def _record(problem: str | None) -> None:
    if problem:
        with _lock:
            _violations.append(problem)


def _patch(monkeypatch_target, name, wrapper):
    original = getattr(monkeypatch_target, name)
    setattr(monkeypatch_target, name, wrapper(original))
    return original


def _install() -> None:
    from realtime import consumers, publish

    def wrap_payload(original):
        def checked_payload(event_type, data):
            text = original(event_type, data)
            if not _is_test_type(event_type):
                _record(
                    check(
                        event_type,
                        json.loads(text),
                        pointer_suffix="/properties/data",
                        what="published event",
                    )
                )
            return text

        return checked_payload

    def wrap_send(original):
        async def send(self, text_data=None, bytes_data=None, close=False):
            if text_data is not None:
                try:
                    frame = json.loads(text_data)
                except ValueError:
                    _record(f"socket sent a frame that is not JSON: {text_data[:80]!r}")
                else:
                    kind = frame.get("type") if isinstance(frame, dict) else None
                    if not _is_test_type(kind):
                        _record(check(str(kind), frame, what="socket frame"))
            return await original(self, text_data=text_data, bytes_data=bytes_data, close=close)

        return send

    def wrap_dispatch(original):
        async def dispatch(self, message_type, data):
            result = await original(self, message_type, data)
            if not _is_test_type(message_type):
                _record(
                    check(
                        f"client.{message_type}",
                        data,
                        pointer_suffix="/properties/data",
                        what="accepted client frame",
                    )
                )
            return result

        return dispatch

    _patch(publish, "_checked_payload", wrap_payload)
    _patch(consumers.GatewayConsumer, "send", wrap_send)
    _patch(consumers.GatewayConsumer, "_dispatch", wrap_dispatch)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "event_contract_off: frames of this test are not checked against the catalogue"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    import django

    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018  (configured by pytest-django by now)
        django.setup()
    except Exception:
        return
    _install()


def _take() -> list[str]:
    with _lock:
        taken = list(dict.fromkeys(_violations))
        _violations.clear()
    return taken


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    _take()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    problems = _take()
    if problems and item.get_closest_marker("event_contract_off") is None:
        raise AssertionError("Socket contract broken:\n- " + "\n- ".join(problems))
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield
    problems = _take()
    if problems and item.get_closest_marker("event_contract_off") is None:
        raise AssertionError("Socket contract broken (in teardown):\n- " + "\n- ".join(problems))
    return result
