"""Flower for operators, safe by default: `python -m workers.flower [flower options]`.

- It listens on loopback unless `FLOWER_ADDRESS` says otherwise (the container sets 0.0.0.0
  and publishes the port on the host's loopback).
- Credentials come from the environment, never the command line: `FLOWER_BASIC_AUTH`
  (`user:password`, Flower's own variable). Without it a random password is made for this
  start and logged once, so Flower is never open.
- Flower 2.2 serves `/metrics` without authentication; here it asks for the same basic auth
  as every other page, so a Prometheus scrape job needs the credentials too.

Flower reads every `FLOWER_*` variable as one of its options and stops at one it does not
know, so no other `FLOWER_*` variable may be set for it.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from collections.abc import MutableMapping

import tornado.web
from flower import urls
from flower.views.monitor import Metrics

from workers.app import app

log = logging.getLogger("workers.flower")
AUTH_ENV = "FLOWER_BASIC_AUTH"
ADDRESS_ENV = "FLOWER_ADDRESS"
LOOPBACK = "127.0.0.1"


class AuthenticatedMetrics(Metrics):  # type: ignore[misc]  # flower has no type hints
    """Prometheus metrics behind Flower's authentication."""

    @tornado.web.authenticated
    async def get(self) -> None:
        await super().get()


def protect_metrics() -> None:
    """Serve /metrics through AuthenticatedMetrics (Flower builds its app from this list)."""
    urls.handlers[:] = [
        (spec[0], AuthenticatedMetrics, *spec[2:])
        if isinstance(spec, tuple) and spec[1] is Metrics
        else spec
        for spec in urls.handlers
    ]


def configure(environ: MutableMapping[str, str]) -> str | None:
    """Loopback and credentials by default; returns a password made for this start."""
    environ.setdefault(ADDRESS_ENV, LOOPBACK)
    if environ.get(AUTH_ENV):
        return None
    password = secrets.token_urlsafe(12)
    environ[AUTH_ENV] = f"admin:{password}"
    return password


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s [%(name)s] %(message)s")
    if any(arg.startswith(("--basic-auth", "--basic_auth")) for arg in argv):
        sys.exit(f"give credentials in {AUTH_ENV}, not on the command line")
    made = configure(os.environ)
    if made is not None:
        log.warning("%s is not set: this start accepts user admin, password %s", AUTH_ENV, made)
    protect_metrics()
    app.start(["flower", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
