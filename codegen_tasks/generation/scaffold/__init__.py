"""The built-in offline generator: a graph node → a compiling NestJS service.

Deterministic: the same ServiceSpec always yields byte-identical files, sorted by path.
"""

from __future__ import annotations

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.generation.scaffold.clients import (
    clients_of,
    render_client,
    render_clients_module,
)
from codegen_tasks.generation.scaffold.database import databases_of, render_migrations
from codegen_tasks.generation.scaffold.domain import build_parts, render_domain
from codegen_tasks.generation.scaffold.gateway import gateway_routes, render_gateway
from codegen_tasks.generation.scaffold.naming import pascal
from codegen_tasks.generation.scaffold.project import (
    app_module_ts,
    main_ts,
    package_json,
    tsconfig_json,
)
from codegen_tasks.generation.scaffold.readme import render_readme
from codegen_tasks.generation.scaffold.runtime import dockerfile, env_example, environment
from codegen_tasks.generation.scaffold.stores import render_store
from codegen_tasks.platform import Platform, load_platform

# The built-in generator's model name: the only place it is spelled (requests naming it, or
# none without a key, get this generator; see pipeline/generators).
BUILTIN_MODEL = "builtin/scaffold"
SCAFFOLD_VERSION = "2.0.0"
GENERATOR = f"`{BUILTIN_MODEL}` {SCAFFOLD_VERSION}"

__all__ = ["BUILTIN_MODEL", "SCAFFOLD_VERSION", "render_service"]


def render_service(spec: ServiceSpec, platform: Platform | None = None) -> list[GeneratedFile]:
    """All files of the service `spec` describes, sorted by path."""
    platform = platform or load_platform()
    databases = databases_of(spec, platform)
    repos = [repo for _, repo in databases]
    clients = clients_of(spec)
    stores = [p for r in repos if r.store for p in r.store.persistence.packages]
    migrations = render_migrations(repos)
    files = [package_json(spec, platform, stores), tsconfig_json(), main_ts(spec)]
    files += [app_module_ts(spec), dockerfile(spec, bool(migrations)), *migrations]
    files += [render_store(dep, repo) for dep, repo in databases]
    files += [render_client(c) for c in clients]
    if clients:
        files.append(render_clients_module(pascal(spec.name), clients))
    if spec.kind == "gateway":
        files += render_gateway(spec, repos, clients)
        handlers, routes = [], gateway_routes(clients)
    else:
        files += render_domain(spec, repos, clients)
        handlers = [h for p in build_parts(spec, repos) for h in p.handlers]
        routes = []
    auth = any(h.action in ("login", "verify") for h in handlers)
    variables = environment(spec, clients, repos, auth=auth)
    files.append(env_example(variables))
    files.append(
        render_readme(
            spec,
            GENERATOR,
            handlers=handlers,
            routes=routes,
            repos=repos,
            clients=clients,
            variables=variables,
        )
    )
    return sorted(files, key=lambda f: f.path)
