"""Wspólnie's tests (a package, so that `tests.conftest` is imported once)."""
