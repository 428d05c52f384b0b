"""NestJS services in the styles real repositories use, with their expected verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from codegen_tasks.adapters.storage.directory import read_folder
from codegen_tasks.domain.files import GeneratedFile

STYLES_DIR = Path(__file__).parent / "styles"
EXPECTED: dict[str, Any] = json.loads((Path(__file__).parent / "expected.json").read_text())
STYLES: dict[str, dict[str, Any]] = EXPECTED["styles"]
LEVELS: dict[str, bool | None] = EXPECTED["levels"]


def style_files(style: str) -> list[GeneratedFile]:
    return read_folder(STYLES_DIR / style, max_files=200, max_file_bytes=512 * 1024)
