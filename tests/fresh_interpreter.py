"""Read what the project's configuration makes of an environment, in a new Python
process: settings are evaluated once per process, so the test run's own cannot
be reloaded with other variables."""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def json_from_fresh_interpreter(code: str, result: str, **env: str):
    """Run `code`, then print `result` (an expression) as JSON, in a new interpreter
    in the project's root with the test run's environment plus `env`; return it.
    A variable set to None in `env` is removed from that environment."""
    variables = {**os.environ, **env}
    for name in [name for name, value in variables.items() if value is None]:
        del variables[name]
    script = f"import json\n{code}\nprint(json.dumps({result}, default=str))"
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=variables,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])
