"""At a worker's start, the scratch folders of dead processes (a check worker killed
mid-compile) are removed; their compilers died with them (`checks/children.py`)."""

from __future__ import annotations

from celery.signals import worker_init

from codegen_tasks.checks.scratch import sweep_dead
from codegen_tasks.settings import get_settings


def sweep_scratch(**_: object) -> None:
    sweep_dead(get_settings().effective_scratch_dir)


worker_init.connect(sweep_scratch, weak=False)
