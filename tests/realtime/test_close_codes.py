"""Every close code the gateway sends is one daphne can send.

daphne closes through autobahn's ``sendClose``, which refuses any code but 1000
and 3000-4999 (``invalid close code 1013``): the close then never leaves and the
socket stays open with nothing reaching it. These checks hold the codes module,
and every close the gateway's code makes, to autobahn's own rule."""

import ast
import inspect
import logging
from pathlib import Path

import pytest
from autobahn.websocket.protocol import WebSocketProtocol

from realtime import codes, consumers, publish

REALTIME = Path(codes.__file__).parent


def autobahn_accepts(code: int) -> bool:
    protocol = WebSocketProtocol()
    protocol.state = WebSocketProtocol.STATE_CLOSED  # validates, then sends nothing
    protocol.log = logging.getLogger("autobahn")
    try:
        protocol.sendClose(code=code)
    except Exception as exc:
        assert "invalid close code" in str(exc)
        return False
    return True


def test_autobahn_refuses_1013_which_the_gateway_used_to_send():
    assert not autobahn_accepts(1013)
    assert not codes.sendable(1013)


def test_every_close_code_in_the_codes_module_is_sendable():
    declared = {
        value
        for name, value in vars(codes).items()
        if name.startswith("CLOSE_") and isinstance(value, int)
    }
    assert declared == set(codes.CLOSE_CODES)
    for code in declared:
        assert 4000 <= code <= 4999, code
        assert autobahn_accepts(code), code
        assert codes.sendable(code)
        assert f"{code} ``CLOSE_" in codes.__doc__, f"{code} is not documented"


@pytest.mark.parametrize("code", [999, 1001, 1011, 1013, 2999, 5000])
def test_sendable_matches_autobahn_on_refused_codes(code):
    assert codes.sendable(code) is autobahn_accepts(code) is False


def _close_codes_used(module) -> list[ast.AST]:
    """The code arguments of every close the module makes: `_close(x)`,
    `_send_close(x)`, `close(x)` / `close(code=x)`, `{"type": "websocket.close", "code": x}`."""
    tree = ast.parse(inspect.getsource(module))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            if name in {"_close", "_send_close", "close", "disconnect_user"}:
                found += node.args[1:] if name == "disconnect_user" else node.args[:1]
                found += [kw.value for kw in node.keywords if kw.arg == "code"]
        if isinstance(node, ast.Dict):
            keys = [getattr(k, "value", None) for k in node.keys]
            pairs = dict(zip(keys, node.values, strict=True))
            if "code" in pairs and getattr(pairs.get("type"), "value", None) == "websocket.close":
                found.append(pairs["code"])
    return found


@pytest.mark.parametrize("module", [consumers, publish])
def test_the_gateway_closes_only_with_named_sendable_codes(module):
    for arg in _close_codes_used(module):
        if isinstance(arg, ast.Constant):
            pytest.fail(f"{module.__name__} closes with a literal {arg.value!r}")
        # A name from the codes module (or a variable holding one, checked at run time).
        named = isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name)
        if named and arg.value.id == "codes":
            assert getattr(codes, arg.attr) in codes.CLOSE_CODES


def test_disconnect_user_refuses_a_code_daphne_cannot_send():
    with pytest.raises(ValueError):
        publish.disconnect_user("00000000-0000-0000-0000-000000000001", code=1013)


async def test_a_close_the_server_refuses_is_logged_at_warning(caplog):
    """What daphne did with 1013: the close raised and was swallowed at DEBUG, the
    socket stayed open and silent. Any refused close now shows as a WARNING."""
    consumer = consumers.GatewayConsumer()

    async def refusing_send(message):
        raise Exception("invalid close code 1013 (must be 1000 or from [3000, 4999])")

    consumer.base_send = refusing_send
    with caplog.at_level(logging.WARNING, logger="realtime.consumers"):
        await consumer._send_close(codes.CLOSE_SERVER_UNAVAILABLE)

    [record] = [r for r in caplog.records if r.name == "realtime.consumers"]
    assert record.levelno == logging.WARNING
    assert "invalid close code" in record.getMessage()
