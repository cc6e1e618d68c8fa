"""No import circles, counting imports inside functions too (DESIGN.md "The
house"): an import moved into a function hides a circle, it does not remove it.
Checked for the apps whose circles are gone; an app joins CHECKED when its are."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("commerce", "users")


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.glob("*/**/*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if not (ROOT / parts[0] / "apps.py").exists() or "migrations" in parts:
            continue
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict) -> set[str]:
    """The project modules `name` imports anywhere in it, with the packages
    importing a submodule runs."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            targets.add(module)
            targets.update(f"{module}.{alias.name}" for alias in node.names)
    found = set()
    for target in targets:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        parts = target.split(".") if target else []
        found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return {module for module in found if module in modules and module != name}


def _circles_through(app: str) -> list[list[str]]:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    circles = []
    for start in sorted(name for name in graph if name.split(".")[0] == app):
        # Depth-first from `start`, back to it: a circle through it.
        stack, seen = [(start, [start])], set()
        while stack:
            node, trail = stack.pop()
            for nxt in sorted(graph[node]):
                if nxt == start and not start.startswith(node + "."):
                    circles.append(trail)
                elif nxt not in seen and not start.startswith(nxt + "."):
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
    return circles


@pytest.mark.parametrize("app", CHECKED)
def test_no_import_circle_even_through_imports_inside_functions(app):
    assert _circles_through(app) == []


def test_the_check_sees_a_circle_hidden_in_a_function(tmp_path, monkeypatch):
    app = tmp_path / "shop"
    app.mkdir()
    for name, text in {
        "__init__.py": "",
        "apps.py": "",
        "services.py": "def pay():\n    from .tasks import receipt\n",
        "tasks.py": "from . import services\n",
    }.items():
        (app / name).write_text(text)
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert _circles_through("shop") == [
        ["shop.services", "shop.tasks"],
        ["shop.tasks", "shop.services"],
    ]


def test_commerce_imports_inside_functions_say_why():
    """Outside `AppConfig.ready` (where Django has apps register, the registry
    being ready then), an import inside a function has a comment giving its reason."""
    silent = []
    for path in sorted((ROOT / "commerce").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        lines = path.read_text().splitlines()
        for func in ast.walk(ast.parse("\n".join(lines), str(path))):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef) or func.name == "ready":
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    here, above = lines[node.lineno - 1], lines[node.lineno - 2]
                    if "#" not in here and not above.strip().startswith("#"):
                        silent.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert silent == []
