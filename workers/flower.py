"""Flower for operators, safe by default: `python -m workers.flower [flower options]`.

- It listens on loopback unless `FLOWER_ADDRESS` says otherwise (the container sets 0.0.0.0
  and publishes the port on the host's loopback); `FLOWER_PORT`, else `PORT`, else 5555.
- Credentials come from the environment, never the command line: `FLOWER_USER` (admin) and
  `FLOWER_PASSWORD`, or Flower's own `FLOWER_BASIC_AUTH=user:password`. Without a password
  it refuses to start, or with `--generate-password` makes one for this start and logs it.
- Flower 2.2 serves `/metrics` without authentication; here it asks for the same basic auth
  as every other page, so a Prometheus scrape job needs the credentials too.

Flower reads every `FLOWER_*` variable as one of its options and stops at one it does not
know, so FLOWER_USER and FLOWER_PASSWORD are taken out of the environment before it starts.
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
GENERATE = "--generate-password"


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


def configure(environ: MutableMapping[str, str], *, generate_password: bool) -> str | None:
    """Loopback, the port and the credentials in Flower's variables; returns a password
    made for this start. Raises SystemExit without a password (unless generating one)."""
    environ.setdefault(ADDRESS_ENV, LOOPBACK)
    if environ.get("PORT"):
        environ.setdefault("FLOWER_PORT", environ["PORT"])
    user = environ.pop("FLOWER_USER", "") or "admin"
    password = environ.pop("FLOWER_PASSWORD", "")
    if environ.get(AUTH_ENV):
        return None
    if password:
        environ[AUTH_ENV] = f"{user}:{password}"
        return None
    if not generate_password:
        raise SystemExit(f"set FLOWER_PASSWORD (and FLOWER_USER) or {AUTH_ENV}=user:password")
    made = secrets.token_urlsafe(12)
    environ[AUTH_ENV] = f"{user}:{made}"
    return made


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s [%(name)s] %(message)s")
    if any(arg.startswith(("--basic-auth", "--basic_auth")) for arg in argv):
        sys.exit(f"give credentials in FLOWER_PASSWORD or {AUTH_ENV}, not on the command line")
    generate = GENERATE in argv
    made = configure(os.environ, generate_password=generate)
    if made is not None:
        log.warning("no FLOWER_PASSWORD set: this start accepts password %s", made)
    protect_metrics()
    app.start(["flower", *(arg for arg in argv if arg != GENERATE)])


if __name__ == "__main__":
    main(sys.argv[1:])
