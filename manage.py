#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    try:
        execute_from_command_line(sys.argv)
    except OperationalError as error:
        # A database that is missing or not running is a set-up step, not a bug:
        # one line that says which and what to do, instead of a traceback.
        from core.database_errors import explain

        hint = explain(error)
        if hint is None:
            raise
        sys.exit(hint)


if __name__ == "__main__":
    main()
