# The codegen-tasks image: the package without its dev tools, and the pinned TypeScript
# toolchain installed once at build time (no container downloads it again).
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm bubblewrap \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV CODEGEN_TOOLCHAIN_DIR=/opt/codegen-toolchain PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY codegen_tasks codegen_tasks
COPY workers workers
RUN pip install --no-cache-dir '.[flower]' \
    && python -c "from codegen_tasks.checks.static.toolchain import Toolchain; Toolchain.from_settings().ensure()" \
    && npm cache clean --force
CMD ["celery", "-A", "workers.app", "worker", "-l", "info"]
