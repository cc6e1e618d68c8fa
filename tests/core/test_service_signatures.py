"""Service functions are called one way: keyword-only, every argument and the
result typed (`def follow(*, follower: User, followee: User) -> bool`).

Checked on each app's service modules (`<app>/services.py`, `<app>/services/*.py`
and the forum's other write modules); helpers whose name starts with `_` may
take positional arguments but are typed too.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXTRA_MODULES = ("forum/moderation.py", "forum/media.py", "forum/media_upkeep.py")


def _service_modules() -> list[Path]:
    found = set(ROOT.glob("*/services.py")) | set(ROOT.glob("*/services/*.py"))
    found |= {ROOT / name for name in EXTRA_MODULES}
    # Apps only (each has its apps.py), not the test suite's own `tests/services.py`.
    return sorted(
        path for path in found if (ROOT / path.relative_to(ROOT).parts[0] / "apps.py").exists()
    )


def _is_task(node) -> bool:
    """A Celery task kept beside the service it runs (notifications): the worker
    calls it with the arguments it was queued with, positionally (`.delay(id)`)."""
    return any(
        (d.func if isinstance(d, ast.Call) else d).id == "shared_task"
        for d in node.decorator_list
        if isinstance(d.func if isinstance(d, ast.Call) else d, ast.Name)
    )


def _problems(path: Path) -> list[str]:
    problems = []
    for node in ast.parse(path.read_text(), str(path)).body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or _is_task(node):
            continue
        where = f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
        args = node.args
        positional = [a.arg for a in args.posonlyargs + args.args]
        if positional and not node.name.startswith("_"):
            problems.append(f"{where}: positional {positional}")
        every = args.posonlyargs + args.args + args.kwonlyargs
        every += [a for a in (args.vararg, args.kwarg) if a is not None]
        untyped = [a.arg for a in every if a.annotation is None]
        if untyped:
            problems.append(f"{where}: untyped {untyped}")
        if node.returns is None:
            problems.append(f"{where}: no return type")
    return problems


def test_service_functions_are_keyword_only_and_typed():
    modules = _service_modules()
    assert {"users/services.py", "forum/services.py", "notifications/services/notifying.py"} <= {
        str(path.relative_to(ROOT)) for path in modules
    }
    problems = [problem for path in modules for problem in _problems(path)]
    assert problems == [], "\n".join(problems)


def test_the_check_sees_positional_and_untyped_arguments(tmp_path):
    source = tmp_path / "services.py"
    source.write_text(
        "def good(*, user: int) -> None: ...\n"
        "def positional(user: int) -> None: ...\n"
        "def untyped(*, user) -> None: ...\n"
        "def no_result(*, user: int): ...\n"
        "def _helper(value: int) -> int: ...\n"
    )
    global ROOT
    root, ROOT = ROOT, tmp_path
    try:
        found = _problems(source)
    finally:
        ROOT = root
    assert [problem.split(" ", 1)[1] for problem in found] == [
        "positional: positional ['user']",
        "untyped: untyped ['user']",
        "no_result: no return type",
    ]
