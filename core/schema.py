def only_canonical_paths(endpoints, **kwargs):
    """Document each route once: `/api/v1/...`, not its `/api/...` alias."""
    return [e for e in endpoints if e[0].startswith("/api/v1/")]
