import pytest
from django.core.cache import cache

from tests.channel_listener import listener  # noqa: F401  (fixture for every folder)


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings):
    # Real hashing is slow by design; the suite tests flows, not bcrypt cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The cache holds throttle counters; on Redis this flushes the test database.
    cache.clear()
    yield
    cache.clear()


# --- daily activity (users/activity.py) -------------------------------------------


@pytest.fixture(autouse=True)
def _no_activity_rows_unless_asked(settings):
    """Off by default: the once-a-day ActiveDay insert on a user's first request
    would shift the exact query counts of steady-state tests. Tests of the
    dashboard and of activity itself use the `record_activity` fixture."""
    settings.USERS = {**settings.USERS, "RECORD_ACTIVITY": False}


@pytest.fixture
def record_activity(settings):
    from users.activity import forget_memo

    settings.USERS = {**settings.USERS, "RECORD_ACTIVITY": True}
    forget_memo()
    yield
    forget_memo()


# --- the staff groups' permissions (core/group_permissions.py) ---------------------


def _granted_by_migrations() -> list[tuple[str, str, list]]:
    """(group, app label, [(model, codename)]) of every data migration's grant."""
    import inspect

    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    grants = []
    for migration in MigrationLoader(None, ignore_no_migrations=True).disk_migrations.values():
        for operation in migration.operations:
            code = getattr(operation, "code", None)
            if isinstance(operation, RunPython) and code.__qualname__.startswith("grant_operation"):
                found = inspect.getclosurevars(code).nonlocals
                grants.append((found["group_name"], found["app_label"], found["permissions"]))
    return grants


def restore_staff_groups() -> None:
    from django.contrib.auth.models import Group, Permission

    for group_name, app_label, permissions in _granted_by_migrations():
        group, _ = Group.objects.get_or_create(name=group_name)
        codenames = [codename for _, codename in permissions]
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return "transactional_db" in getattr(item, "fixturenames", ()) or bool(
        marker and marker.kwargs.get("transaction")
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends with a flush, which empties the groups the data
    migrations made (the API checks their permissions): once every fixture is
    torn down, flush included, put them back for the tests after it."""
    yield
    # (After the last test the test database is gone with the session.)
    # Only after a test whose fixtures were set up (pytest-django's autouse marker
    # fixture among them): a skipped test set up none, and may have no database.
    used_database = "_django_db_marker" in getattr(item, "funcargs", {})
    if nextitem is not None and _is_transactional(item) and used_database:
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            restore_staff_groups()
