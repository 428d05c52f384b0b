"""Every benchmark in turn, each writing its section of BENCHMARKS.md:

.venv/bin/python -m bench [--no-write]
"""

from __future__ import annotations

import sys

from bench import embedded, hybrid, makespan, overhead, runtime, scale, throughput


def main(argv: list[str]) -> None:
    extra = ["--no-write"] if "--no-write" in argv else []
    makespan.main(extra)
    overhead.main(extra)
    embedded.main(extra)
    scale.main(extra)
    throughput.main(extra)
    runtime.main(extra)
    hybrid.main(extra)


if __name__ == "__main__":
    main(sys.argv[1:])
