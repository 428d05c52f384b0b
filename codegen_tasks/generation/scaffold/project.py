"""Project files: package.json, tsconfig.json, src/main.ts and src/app.module.ts."""

from __future__ import annotations

import json

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.generation.scaffold.naming import default_port, pascal, ts_string
from codegen_tasks.generation.scaffold.source import fill
from codegen_tasks.platform import Platform

GATEWAY_HTTP_PORT = 3000
TYPINGS = {"pg": "@types/pg"}  # runtime package -> its typings, a development dependency

TSCONFIG: dict[str, object] = {
    "compilerOptions": {
        "module": "commonjs",
        "target": "ES2021",
        "lib": ["ES2021"],
        "strict": True,
        "experimentalDecorators": True,
        "emitDecoratorMetadata": True,
        "esModuleInterop": True,
        "skipLibCheck": True,
        "forceConsistentCasingInFileNames": True,
        "sourceMap": True,
        "types": ["node"],
        "rootDir": "src",
        "outDir": "dist",
    },
    "include": ["src/**/*.ts"],
}


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def package_json(spec: ServiceSpec, platform: Platform, stores: list[str]) -> GeneratedFile:
    """Versions are the platform's, so what was checked is what gets built and run.
    `stores` are the packages the service's repositories need."""
    runtime = [*platform.base, *stores, *(platform.http if spec.kind == "gateway" else ())]
    dev = [p for p in platform.development if p not in TYPINGS.values()]
    dev += [TYPINGS[p] for p in runtime if p in TYPINGS]
    manifest = {
        "name": spec.name,
        "version": "0.1.0",
        "private": True,
        "description": spec.description or f"The {spec.name} service of {spec.project_name}.",
        "license": "UNLICENSED",
        "main": "dist/main.js",
        "scripts": {
            "build": "tsc -p tsconfig.json",
            "start": "node dist/main.js",
            "typecheck": "tsc -p tsconfig.json --noEmit",
        },
        "engines": {"node": ">=20"},
        "dependencies": platform.pins(runtime),
        "devDependencies": platform.pins(dev),
    }
    return GeneratedFile(path="package.json", content=_json(manifest))


def tsconfig_json() -> GeneratedFile:
    return GeneratedFile(path="tsconfig.json", content=_json(TSCONFIG))


_MAIN = """import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const host = process.env.HOST ?? '0.0.0.0';
  const port = Number(process.env.PORT ?? <<port>>);
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
    transport: Transport.TCP,
    options: { host, port },
  });
  app.enableShutdownHooks();
  await app.listen();
  new Logger(<<name>>).log(`listening on tcp://${host}:${port}`);
}

bootstrap().catch((error: unknown) => {
  new Logger(<<name>>).error(error instanceof Error ? error.stack : String(error));
  process.exit(1);
});
"""

_GATEWAY_MAIN = """import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const host = process.env.HOST ?? '0.0.0.0';
  const port = Number(process.env.PORT ?? <<port>>);
  const httpHost = process.env.HTTP_HOST ?? '0.0.0.0';
  const httpPort = Number(process.env.HTTP_PORT ?? <<http_port>>);
  const app = await NestFactory.create(AppModule);
  app.connectMicroservice<MicroserviceOptions>({
    transport: Transport.TCP,
    options: { host, port },
  });
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(httpPort, httpHost);
  new Logger(<<name>>).log(`http://${httpHost}:${httpPort} and tcp://${host}:${port}`);
}

bootstrap().catch((error: unknown) => {
  new Logger(<<name>>).error(error instanceof Error ? error.stack : String(error));
  process.exit(1);
});
"""


def main_ts(spec: ServiceSpec) -> GeneratedFile:
    template = _GATEWAY_MAIN if spec.kind == "gateway" else _MAIN
    content = fill(
        template,
        port=str(default_port(spec.name)),
        http_port=str(GATEWAY_HTTP_PORT),
        name=ts_string(spec.name),
    )
    return GeneratedFile(path="src/main.ts", content=content)


def app_module_ts(spec: ServiceSpec) -> GeneratedFile:
    """The root module; a service named `app` gets its module aliased to avoid a clash."""
    name = f"{pascal(spec.name)}Module"
    local = "AppDomainModule" if name == "AppModule" else name
    imported = name if local == name else f"{name} as {local}"
    content = (
        "import { Module } from '@nestjs/common';\n"
        f"import {{ {imported} }} from './{spec.name}/{spec.name}.module';\n\n"
        f"@Module({{\n  imports: [{local}],\n}})\n"
        "export class AppModule {}\n"
    )
    return GeneratedFile(path="src/app.module.ts", content=content)
