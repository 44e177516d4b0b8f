"""`python -m bench [name ...]`: run the benchmarks (every bench/*_bench.py, or the ones named)."""

import importlib
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    return sorted(
        module.name.removesuffix("_bench")
        for module in pkgutil.iter_modules([str(Path(__file__).parent)])
        if module.name.endswith("_bench")
    )


def main() -> None:
    names = sys.argv[1:] or available()
    unknown = set(names) - set(available())
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; available: {', '.join(available())}")
    for name in names:
        print(f"\n=== bench/{name}_bench.py ===", flush=True)
        importlib.import_module(f"bench.{name}_bench").main()


if __name__ == "__main__":
    main()
