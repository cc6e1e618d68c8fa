"""Counting SQL queries from every thread.

`django_assert_num_queries` watches the test thread's connection only; socket code
runs its database work in worker threads (`database_sync_to_async`). This spy
counts every query any connection executes, whatever the thread; each goes through
to the real database.
"""

import threading

import pytest
from django.db.backends.utils import CursorWrapper


class AllQueries:
    def __init__(self):
        self._lock = threading.Lock()
        self.sql: list[str] = []

    def record(self, sql) -> None:
        with self._lock:
            self.sql.append(str(sql))

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.sql)

    def reset(self) -> None:
        with self._lock:
            self.sql.clear()


@pytest.fixture
def all_queries(monkeypatch):
    spy = AllQueries()
    original = CursorWrapper._execute_with_wrappers

    def counted(self, sql, params, many, executor):
        spy.record(sql)
        return original(self, sql, params, many, executor)

    monkeypatch.setattr(CursorWrapper, "_execute_with_wrappers", counted)
    return spy
