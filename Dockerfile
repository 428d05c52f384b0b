FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm bubblewrap && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY codegen_tasks codegen_tasks
COPY workers workers
RUN pip install --no-cache-dir '.[dev]'
ENV CODEGEN_TOOLCHAIN_DIR=/opt/codegen-toolchain
CMD ["celery", "-A", "workers.app", "worker", "-l", "INFO"]
