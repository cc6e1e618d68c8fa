import sys


def pytest_terminal_summary(terminalreporter):
    """After a schemathesis run (`make fuzz`): how many operations and cases ran."""
    module = sys.modules.get("tests.core.test_schemathesis")
    cases = getattr(module, "CASES", None)
    if not cases:
        return
    terminalreporter.write_sep("-", "schemathesis")
    terminalreporter.write_line(
        f"schemathesis: {len(cases)} operations, {sum(cases.values())} cases"
    )
