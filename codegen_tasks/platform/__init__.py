"""The pinned dependency platform: every npm package a generated service may import.

`package.json` beside this module is the one manifest. Its `dependencies` are what the
toolchain installs (once, from npm, scripts ignored) and what bundles are compiled against;
`codegenPlatform` says which of them are development tools, which every service gets, which
an HTTP app needs, which are further libraries code may use, and which library serves which
database kind and ORM. The same data feeds
the system prompt, the scaffold's package.json and the import rule. Operators add packages
with `CODEGEN_PLATFORM_EXTRA_PACKAGES`; they are installed and allowed the same way.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from codegen_tasks.errors import ToolchainError

MANIFEST_NAME = "package.json"
DEFAULT_ORMS: dict[str, str] = {
    "postgresql": "drizzle",
    "mysql": "drizzle",
    "mongodb": "mongoose",
    "redis": "ioredis",
}
DEFAULT_DATABASE_TYPE = "postgresql"
_DATABASE_ALIASES = {
    "postgres": "postgresql",
    "pg": "postgresql",
    "mariadb": "mysql",
    "mongo": "mongodb",
}
_ORM_ALIASES = {"drizzle-orm": "drizzle", "typeorm": "typeorm", "mongoose": "mongoose"}


class Platform(BaseModel):
    """The pinned packages and what each is for."""

    model_config = ConfigDict(frozen=True)

    versions: dict[str, str]  # package -> exact version, extras included
    development: tuple[str, ...]
    base: tuple[str, ...]
    http: tuple[str, ...]
    libraries: tuple[str, ...] = ()  # importable, never added by the built-in generator
    databases: dict[str, dict[str, tuple[str, ...]]]  # database type -> ORM -> packages
    transports: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    extras: tuple[str, ...] = ()

    @property
    def importable(self) -> dict[str, str]:
        """Packages code may import (development tools left out), with their versions."""
        return {p: v for p, v in self.versions.items() if p not in self.development}

    def pins(self, packages: list[str] | tuple[str, ...]) -> dict[str, str]:
        return {p: self.versions[p] for p in sorted(set(packages))}

    def install_manifest(self) -> dict[str, Any]:
        """The package.json the toolchain installs: every pinned package."""
        return {
            "name": "codegen-tasks-platform",
            "version": "1.0.0",
            "private": True,
            "dependencies": dict(sorted(self.versions.items())),
        }

    def install_manifest_text(self) -> str:
        return json.dumps(self.install_manifest(), indent=2) + "\n"

    def digest(self) -> str:
        """Changes whenever any pinned version (or extra) changes: the install's folder name."""
        return hashlib.sha256(self.install_manifest_text().encode("utf-8")).hexdigest()[:16]


class Persistence(BaseModel):
    """How one DATABASE node is stored: the kind, the ORM and the packages that brings."""

    model_config = ConfigDict(frozen=True)

    database_type: str
    orm: str
    packages: tuple[str, ...]
    warning: str | None = None  # set when the node's own choice was not usable

    @property
    def is_sql(self) -> bool:
        return self.database_type in ("postgresql", "mysql")


@lru_cache(maxsize=1)
def manifest_text() -> str:
    """The shipped platform manifest, exactly as in the package."""
    return resources.files("codegen_tasks.platform").joinpath(MANIFEST_NAME).read_text("utf-8")


def _strs(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


@lru_cache(maxsize=8)
def _shipped() -> Platform:
    raw = json.loads(manifest_text())
    if not isinstance(raw, dict) or not isinstance(raw.get("dependencies"), dict):
        raise ToolchainError("the platform manifest has no dependencies object")
    roles = raw.get("codegenPlatform", {})
    databases = {
        str(kind): {str(orm): _strs(pkgs) for orm, pkgs in orms.items()}
        for kind, orms in roles.get("databases", {}).items()
    }
    return Platform(
        versions={str(k): str(v) for k, v in raw["dependencies"].items()},
        development=_strs(roles.get("development")),
        base=_strs(roles.get("base")),
        http=_strs(roles.get("http")),
        libraries=_strs(roles.get("libraries")),
        databases=databases,
        transports={str(k): _strs(v) for k, v in roles.get("transports", {}).items()},
    )


def load_platform(extra_packages: dict[str, str] | None = None) -> Platform:
    """The shipped platform, plus operator packages (which may not re-pin shipped ones)."""
    shipped = _shipped()
    extras = dict(sorted((extra_packages or {}).items()))
    clashes = sorted(p for p, v in extras.items() if shipped.versions.get(p, v) != v)
    if clashes:
        raise ToolchainError(
            "extra platform packages may not change a pinned version: " + ", ".join(clashes)
        )
    return shipped.model_copy(
        update={"versions": {**shipped.versions, **extras}, "extras": tuple(extras)}
    )


def persistence_for(platform: Platform, database_type: str | None, orm: str | None) -> Persistence:
    """The library a DATABASE node gets; an unknown kind or ORM falls back with a warning."""
    warnings: list[str] = []
    kind = _DATABASE_ALIASES.get((database_type or "").lower(), (database_type or "").lower())
    if kind not in platform.databases:
        if database_type:
            warnings.append(
                f"unknown databaseType {database_type!r}: using {DEFAULT_DATABASE_TYPE}"
            )
        kind = DEFAULT_DATABASE_TYPE
    wanted = _ORM_ALIASES.get((orm or "").lower(), (orm or "").lower())
    if wanted not in platform.databases[kind]:
        default = DEFAULT_ORMS[kind]
        if orm:
            warnings.append(f"unknown ORM {orm!r} for {kind}: using the default {default}")
        wanted = default
    return Persistence(
        database_type=kind,
        orm=wanted,
        packages=platform.databases[kind][wanted],
        warning="; ".join(warnings) or None,
    )
