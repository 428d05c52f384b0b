"""The Flower launcher's defaults: loopback, credentials from the environment, /metrics
behind authentication."""

from __future__ import annotations

import pytest
from flower import urls
from flower.views.monitor import Metrics

from workers.flower import AUTH_ENV, AuthenticatedMetrics, configure, protect_metrics


def test_loopback_and_credentials_from_the_environment() -> None:
    env = {"FLOWER_USER": "ops", "FLOWER_PASSWORD": "pw", "PORT": "7000"}
    assert configure(env, generate_password=False) is None
    assert env == {"FLOWER_ADDRESS": "127.0.0.1", "FLOWER_PORT": "7000", AUTH_ENV: "ops:pw",
                   "PORT": "7000"}  # fmt: skip
    explicit = {"FLOWER_ADDRESS": "0.0.0.0", AUTH_ENV: "a:b"}
    configure(explicit, generate_password=False)
    assert explicit == {"FLOWER_ADDRESS": "0.0.0.0", AUTH_ENV: "a:b"}


def test_no_password_refuses_or_makes_one() -> None:
    with pytest.raises(SystemExit, match="FLOWER_PASSWORD"):
        configure({}, generate_password=False)
    env: dict[str, str] = {}
    made = configure(env, generate_password=True)
    assert made and env[AUTH_ENV] == f"admin:{made}"


def test_metrics_are_served_behind_authentication() -> None:
    protect_metrics()
    served = {spec[0]: spec[1] for spec in urls.handlers if isinstance(spec, tuple)}
    assert served["/metrics"] is AuthenticatedMetrics and issubclass(served["/metrics"], Metrics)
