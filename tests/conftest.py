"""Shared fixtures live in tests/fixtures/, one module per external service."""

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.s3",
    "tests.fixtures.openrouter",
    "tests.fixtures.workers",
    "tests.fixtures.faults",
    "tests.fixtures.postgres_cluster",
]
