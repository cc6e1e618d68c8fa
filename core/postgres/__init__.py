"""Django's PostgreSQL backend, with a pool that drops connections the server closed."""
