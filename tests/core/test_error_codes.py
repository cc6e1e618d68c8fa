"""Error codes live in one module per app and the schema lists every one.

Services raise `core.exceptions.DomainError` with a code from their app's
`error_codes.py` (core's for the generic ones); serializers and views name codes
the same way. Two checks keep it so: no code is written as a string literal in app
code, and every code an `error_codes` module declares is in the OpenAPI schema,
where clients read them.
"""

import ast
import importlib
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "users", "forum", "notifications", "chat", "commerce", "staff")
DOMAIN_ERRORS = {
    "DomainError",
    "InvalidInput",
    "Forbidden",
    "NotFound",
    "Conflict",
    "TooLarge",
    "UnsupportedMediaType",
}
# Codes that DRF or Django name, not this project: kept as DRF writes them.
FOREIGN_CODES = {"invalid"}
# Answered by Django's own handlers (core.errors) to any request, before a view.
ANY_REQUEST_CODES = {"bad_request", "request_too_large", "error"}


def _app_files():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts and path.name != "error_codes.py":
                yield path


def _is_str(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _literal_codes(tree: ast.AST):
    """(line, code) for each code written as a literal: `code="..."`, a domain
    error's first argument, `invalid(...)`'s third, a `default_code = "..."`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            for keyword in node.keywords:
                if keyword.arg == "code" and _is_str(keyword.value):
                    yield node.lineno, keyword.value.value
            if name in DOMAIN_ERRORS and node.args and _is_str(node.args[0]):
                yield node.lineno, node.args[0].value
            if name == "invalid" and len(node.args) >= 3 and _is_str(node.args[2]):
                yield node.lineno, node.args[2].value
        elif (
            isinstance(node, ast.Assign)
            and _is_str(node.value)
            and any(getattr(target, "id", None) == "default_code" for target in node.targets)
        ):
            yield node.lineno, node.value.value


def test_no_error_code_is_a_string_literal_in_app_code():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {code!r}"
        for path in _app_files()
        for line, code in _literal_codes(ast.parse(path.read_text(), str(path)))
        if code not in FOREIGN_CODES
    ]
    assert found == [], "use a constant from the app's error_codes.py:\n" + "\n".join(found)


def test_the_literal_check_sees_each_way_of_writing_a_code():
    source = """
raise Conflict("already_reported", "You have already reported this.")
raise invalid("tags", "At most 5 tags.", "too_many_tags")
ErrorDetail("Bad.", code="bad")
class Refusal:
    default_code = "refused"
raise Conflict(error_codes.ALREADY_REPORTED, "You have already reported this.")
"""
    codes = [code for _, code in _literal_codes(ast.parse(source))]
    assert sorted(codes) == ["already_reported", "bad", "refused", "too_many_tags"]


def _declared_codes() -> dict[str, str]:
    declared = {}
    for path in sorted(ROOT.glob("*/error_codes.py")):
        module = importlib.import_module(f"{path.parent.name}.error_codes")
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str):
                declared[value] = f"{module.__name__}.{name}"
    return declared


def _enum_values(node, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "enum" and isinstance(value, list):
                found.update(v for v in value if isinstance(v, str))
            _enum_values(value, found)
    elif isinstance(node, list):
        for value in node:
            _enum_values(value, found)
    return found


@pytest.mark.django_db
def test_every_declared_code_is_listed_in_the_schema():
    declared = _declared_codes()
    assert {
        "core.error_codes",
        "users.error_codes",
        "forum.error_codes",
        "notifications.error_codes",
    } <= {where.rsplit(".", 1)[0] for where in declared.values()}
    listed = _enum_values(SchemaGenerator().get_schema(request=None, public=True), set())
    missing = sorted(
        where for code, where in declared.items() if code not in listed | ANY_REQUEST_CODES
    )
    assert missing == [], "document these codes on the endpoints that raise them"
