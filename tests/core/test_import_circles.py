"""No import circles, counting imports inside functions too (DESIGN.md "The
house"): an import moved into a function hides a circle, it does not remove it.
Checked for the apps whose circles are gone; an app joins CHECKED when its are."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("commerce", "forum", "notifications", "users")


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
    importing a submodule runs. A package `name` itself sits in is not counted
    when only a submodule of it is imported (`from .notifying import Target` in
    `notifications.services.withdrawal`): Python has begun that package before
    `name` runs, and the import needs the sibling alone. Taking a name from the
    package (`from notifications.services import notify` there) still counts."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    targets, named = set(), set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            targets.add(module)
            submodules = [f"{module}.{alias.name}" for alias in node.names]
            targets.update(submodules)
            named.update(submodules)
            if not all(sub in modules for sub in submodules):
                named.add(module)  # names taken from the module itself
    found = set()
    for target in targets:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        parts = target.split(".") if target else []
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix == target or prefix in named or not name.startswith(prefix + "."):
                found.add(prefix)
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


def test_a_sibling_is_no_circle_with_its_package_but_a_name_from_the_package_is(
    tmp_path, monkeypatch
):
    """`services/__init__` exporting `notify` from `services/notifying`, which
    `services/withdrawal` imports: no circle. Taking `notify` from the package
    instead needs the package's `__init__` to have run that far: a circle."""
    files = {
        "box/__init__.py": "",
        "box/apps.py": "",
        "box/services/__init__.py": "from .notifying import notify\nfrom .withdrawal import w\n",
        "box/services/notifying.py": "def notify():\n    pass\n",
        "box/services/withdrawal.py": "from .notifying import notify\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert _circles_through("box") == []

    (tmp_path / "box/services/withdrawal.py").write_text("from box.services import notify\n")
    assert ["box.services", "box.services.withdrawal"] in _circles_through("box")
