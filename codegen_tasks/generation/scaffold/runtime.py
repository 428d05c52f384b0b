"""How a generated service runs: its env variables, `.env.example` and multi-stage Dockerfile."""

from __future__ import annotations

from dataclasses import dataclass

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import MIGRATIONS_DIR, ServiceSpec, forwarded_events
from codegen_tasks.generation.scaffold.clients import Client
from codegen_tasks.generation.scaffold.database import Repository
from codegen_tasks.generation.scaffold.naming import constant, default_port
from codegen_tasks.generation.scaffold.project import GATEWAY_HTTP_PORT

NODE_IMAGE = "node:22-alpine"
_EXAMPLE_URLS = {
    "postgresql": "postgres://postgres:postgres@127.0.0.1:5432/{db}",
    "mysql": "mysql://root:root@127.0.0.1:3306/{db}",
    "mongodb": "mongodb://127.0.0.1:27017/{db}",
    "redis": "redis://127.0.0.1:6379/0",
}


@dataclass(frozen=True)
class EnvVar:
    name: str
    default: str  # what the service uses when unset ("" = required)
    meaning: str
    example: str


def environment(
    spec: ServiceSpec, clients: list[Client], repos: list[Repository], *, auth: bool
) -> list[EnvVar]:
    """Every env variable the service reads, in a stable order."""
    port = str(default_port(spec.name))
    found = [
        EnvVar("HOST", "0.0.0.0", "TCP host the microservice listens on", "0.0.0.0"),
        EnvVar("PORT", port, "TCP port of the microservice", port),
    ]
    if spec.kind == "gateway":
        http = str(GATEWAY_HTTP_PORT)
        found.append(EnvVar("HTTP_PORT", http, "HTTP port of the gateway", http))
        found.append(EnvVar("HTTP_HOST", "0.0.0.0", "HTTP host of the gateway", "0.0.0.0"))
    for repo in repos:
        if repo.store is None:
            continue
        kind = repo.store.persistence.database_type
        url = _EXAMPLE_URLS[kind].format(db=repo.store.table)
        meaning = f"connection URL of {repo.store.database} ({kind})"
        found.append(EnvVar(repo.store.env, "", meaning, url))
    targets = [c.target.name for c in clients]
    targets += [t for _, _, t, _ in forwarded_events(spec) if t not in targets]
    for target in dict.fromkeys(targets):
        target_port = str(default_port(target))
        env = constant(target)
        found.append(EnvVar(f"{env}_HOST", "127.0.0.1", f"host of {target}", "127.0.0.1"))
        found.append(EnvVar(f"{env}_PORT", target_port, f"TCP port of {target}", target_port))
    if auth:
        found.append(
            EnvVar("AUTH_TOKEN_SECRET", "random per process", "HMAC key signing tokens", "")
        )
        found.append(EnvVar("AUTH_TOKEN_TTL_SECONDS", "3600", "token lifetime", "3600"))
    return found


def env_example(variables: list[EnvVar]) -> GeneratedFile:
    lines = ["# Copy to .env (or set in the environment); every variable the service reads."]
    for var in variables:
        default = "required" if not var.default else f"default {var.default}"
        lines.append(f"# {var.meaning} ({default})")
        lines.append(f"{var.name}={var.example}")
    return GeneratedFile(path=".env.example", content="\n".join(lines) + "\n")


def dockerfile(spec: ServiceSpec, has_migrations: bool) -> GeneratedFile:
    """Build with the dev dependencies, run with production ones only, as the `node` user."""
    ports = [str(default_port(spec.name))]
    if spec.kind == "gateway":
        ports.append(str(GATEWAY_HTTP_PORT))
    migrations = f"COPY {MIGRATIONS_DIR} ./{MIGRATIONS_DIR}\n" if has_migrations else ""
    content = (
        f"# {spec.name}: build stage compiles TypeScript, runtime stage runs dist/main.js.\n"
        f"FROM {NODE_IMAGE} AS build\n"
        "WORKDIR /app\n"
        "COPY package.json ./\n"
        "RUN npm install --no-audit --no-fund\n"
        "COPY tsconfig.json ./\n"
        "COPY src ./src\n"
        "RUN npm run build\n\n"
        f"FROM {NODE_IMAGE} AS runtime\n"
        "WORKDIR /app\n"
        "ENV NODE_ENV=production\n"
        "COPY package.json ./\n"
        "RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force\n"
        "COPY --from=build /app/dist ./dist\n"
        f"{migrations}"
        "USER node\n"
        f"EXPOSE {' '.join(ports)}\n"
        'CMD ["node", "dist/main.js"]\n'
    )
    return GeneratedFile(path="Dockerfile", content=content)
