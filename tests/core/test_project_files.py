"""The project's operational files stay in step with the code."""

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parents[2]


def env_vars_read_by_settings() -> set[str]:
    tree = ast.parse((BASE_DIR / "config" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        is_env = (isinstance(func, ast.Name) and func.id == "env") or (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "env"
        )
        first = node.args[0]
        if is_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def env_vars_in_example() -> dict[str, str]:
    """NAME -> the comment line above it, for every `#NAME=default` or `NAME=value` line."""
    lines = (BASE_DIR / ".env.example").read_text().splitlines()
    found = {}
    for previous, line in zip(["", *lines], lines, strict=False):
        match = re.fullmatch(r"#?([A-Z][A-Z0-9_]*)=.*", line)
        if match:
            found[match.group(1)] = previous
    return found


def test_settings_reads_the_variables_we_expect():
    names = env_vars_read_by_settings()

    # The parser must see the calls whatever their shape.
    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= names
    assert {"EMAIL_BACKEND", "WS_RATE_LIMIT_PER_SECOND", "DB_CONN_MAX_AGE"} <= names


def test_env_example_lists_every_variable_settings_reads():
    missing = env_vars_read_by_settings() - set(env_vars_in_example())

    assert missing == set(), f"add to .env.example: {sorted(missing)}"


def test_env_example_lists_nothing_settings_ignores():
    stale = set(env_vars_in_example()) - env_vars_read_by_settings()

    assert stale == set(), f"remove from .env.example: {sorted(stale)}"


def test_every_variable_in_env_example_is_explained():
    unexplained = [
        name for name, comment in env_vars_in_example().items() if not comment.startswith("# ")
    ]

    assert unexplained == []


def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def test_compose_has_the_six_services():
    assert set(compose()["services"]) == {"web", "worker", "beat", "backup", "postgres", "redis"}


def test_compose_commands():
    services = compose()["services"]

    web = " ".join(services["web"]["command"])
    assert "migrate" in web
    assert "daphne" in web and "config.asgi:application" in web
    assert "-b 0.0.0.0 -p 8000" in web
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")


def test_compose_app_services_get_the_backing_services():
    services = compose()["services"]

    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert env["DEBUG"] == "false"
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
    for name in ("web", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"]


def test_dockerfile_installs_pinned_requirements_and_collects_static():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()

    assert dockerfile.startswith("FROM python:3.11-slim")
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert "collectstatic --noinput" in dockerfile


def test_requirements_are_pinned():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (BASE_DIR / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-r"):
                assert "==" in line, f"{name}: {line} is not pinned"


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose not installed")
def test_docker_compose_validates_the_file():
    result = subprocess.run(
        ["docker-compose", "config", "--quiet"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr


def make_recipe(target: str) -> list[str]:
    lines = (BASE_DIR / "Makefile").read_text().splitlines()
    start = lines.index(next(line for line in lines if line.startswith(f"{target}:")))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def test_ci_runs_the_suite_on_the_services_then_on_the_embedded_default():
    ci = (BASE_DIR / ".ci" / "run").read_text()
    assert re.findall(r"^make ([\w-]+)$", ci, flags=re.MULTILINE) == [
        "client",
        "test",
        "fuzz",
        "test-sqlite",
        "lint",
    ]
    # schemathesis on the services, against the same test database settings.
    assert make_recipe("fuzz") == [
        "FUZZ=1 $(PY) -m pytest tests/core/test_schemathesis.py $(PYTEST_ARGS)"
    ]
    # Whatever CI exported: SQLite, no Redis, and no demand for the services.
    [command] = make_recipe("test-sqlite")
    env = dict(re.findall(r"([A-Z_]+)=(\S*)", command.split("$(PY)")[0]))
    assert env == {"DATABASE_URL": "sqlite://:memory:", "REDIS_URL": "", "REQUIRE_SERVICES": ""}
    assert command.endswith("$(PY) -m pytest $(PYTEST_ARGS)")
    assert make_recipe("test") == ["$(PY) -m pytest $(PYTEST_ARGS)"]


def documented_api_paths() -> list[str]:
    """The paths "What the API covers" names, each joined to its bullet's prefix; a
    path in parentheses is relative to the one before them (`comments/{id}/` (`like/`))
    unless it repeats it (`me/` (`me/avatar/`)); one starting with `/` stands alone."""
    readme = (BASE_DIR / "docs" / "api.md").read_text()
    section = readme.split("## What the API covers", 1)[1].split("\n## ", 1)[0]
    paths = []
    for bullet in re.findall(r"^- \*\*\w+\*\* (.*?)(?=^- |\Z)", section, re.M | re.S):
        prefix, rest = re.match(r"`([^`]+)`(.*)", bullet, re.S).groups()
        last, parent, depth = "", "", 0
        for token in re.findall(r"\(|\)|`[^`]*`", rest):
            if token in "()":
                depth += 1 if token == "(" else -1
                parent = last if depth else ""
                continue
            path = token.strip("`")
            if not re.fullmatch(r"/?[\w{}/.-]+/", path):
                continue  # a filter, a setting, a method, `a|b` alternatives
            if path.startswith("/"):
                paths.append(path)
                continue
            if parent and not path.startswith(parent):
                path = parent + path
            paths.append(f"/api/v1/{prefix}{path}")
            last = path
    return paths


def test_every_path_the_api_docs_name_exists():
    from django.urls import Resolver404, resolve

    paths = documented_api_paths()
    assert "/api/v1/mobile/push-token/" in paths and "/api/v1/forum/comments/{id}/like/" in paths
    missing = []
    for path in paths:
        try:
            resolve(path.replace("{id}", "8d0f6c1e-3f4b-4c38-9d55-2a4f3c1b7e90"))
        except Resolver404:
            missing.append(path)
    assert missing == []


class _ComposeLoader(yaml.SafeLoader):
    """Compose's own tags (`!reset`) read as plain values."""


_ComposeLoader.add_constructor("!reset", lambda loader, node: None)


def test_compose_backs_the_database_up_on_a_schedule():
    backup = compose()["services"]["backup"]

    assert backup["image"] == compose()["services"]["postgres"]["image"]
    assert "./deploy/backup.sh:/usr/local/bin/backup.sh:ro" in backup["volumes"]
    assert "backup.sh" in " ".join(backup["command"])
    assert "backups" in compose()["volumes"]


def test_the_proxy_override_puts_tls_in_front_and_trusts_one_hop():
    override = yaml.load((BASE_DIR / "docker-compose.proxy.yml").read_text(), _ComposeLoader)
    services = override["services"]

    assert services["web"]["environment"]["NUM_PROXIES"] == "1"
    assert services["web"]["environment"]["SECURE_SSL_REDIRECT"] == "true"
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]
    assert {"80:80", "443:443"} <= set(services["proxy"]["ports"])
    caddyfile = (BASE_DIR / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy web:8000" in caddyfile
    nginx = (BASE_DIR / "deploy" / "nginx.conf").read_text()
    assert "proxy_set_header Upgrade $http_upgrade;" in nginx
    assert "location /ws/" in nginx


def test_typescript_client_pins_its_packages_and_commits_no_build_output():
    client = BASE_DIR / "clients" / "typescript"
    package = json.loads((client / "package.json").read_text())
    lock = json.loads((client / "package-lock.json").read_text())
    pinned = {**package["dependencies"], **package["devDependencies"]}
    ignored = (client / ".gitignore").read_text().split()

    assert {"typescript", "openapi-typescript", "openapi-fetch", "ws", "@types/ws"} <= set(pinned)
    exact = re.compile(r"\d+\.\d+\.\d+")
    assert [name for name, version in pinned.items() if not exact.fullmatch(version)] == []
    assert {name: lock["packages"][f"node_modules/{name}"]["version"] for name in pinned} == pinned
    assert {"node_modules/", "generated/", "dist/"} <= set(ignored)


def test_typescript_client_casts_nothing():
    """Its types all come from the schema: no `as` cast, no `any`, no `<T>x`."""
    cast = re.compile(r"\bas\s+(?!\w+\s+from\b)[\w{[(\"']|\bany\b|(?<![\w.])<\w+>\s*[\w(]")
    sources = sorted((BASE_DIR / "clients" / "typescript" / "src").glob("*.ts"))
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if not line.lstrip().startswith(("//", "*", "import ")) and cast.search(line)
    ]

    assert len(sources) >= 6
    assert found == []


def test_the_proxies_serve_only_public_media_from_disk():
    """Issue 24, item 11: the proxies served all of /media/ to anyone. Now only the
    public prefixes come from disk; the rest goes to the app, which answers
    X-Accel-Redirect into a location no client can reach."""
    import re

    from django.conf import settings

    override = yaml.load((BASE_DIR / "docker-compose.proxy.yml").read_text(), _ComposeLoader)
    accel = override["services"]["web"]["environment"]["MEDIA_ACCEL_REDIRECT"]
    assert accel == "/_protected_media/"

    nginx = (BASE_DIR / "deploy" / "nginx.conf").read_text()
    locations = dict(re.findall(r"location\s+(\S+)\s*\{([^}]*)\}", nginx))
    served_from_disk = {path for path, body in locations.items() if "alias" in body}
    assert served_from_disk == {
        *(f"/media/{prefix}" for prefix in settings.MEDIA_PUBLIC_PREFIXES),
        accel,
    }
    assert "internal;" in locations[accel]
    assert "proxy_pass http://platform_web;" in locations["/media/"]

    caddyfile = (BASE_DIR / "deploy" / "Caddyfile").read_text()
    assert "handle_path /media/*" not in caddyfile
    public = re.search(r"@public_media path (.+)", caddyfile).group(1).split()
    assert public == [f"/media/{prefix}*" for prefix in settings.MEDIA_PUBLIC_PREFIXES]
    assert "@accel header X-Accel-Redirect *" in caddyfile
    assert f"uri strip_prefix {accel.rstrip('/')}" in caddyfile
    assert re.search(r"handle /_protected_media/\* \{\s*respond 404", caddyfile)
