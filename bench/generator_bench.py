"""How fast the synthetic county is generated (households, members, survey bodies)."""

import time

from rich.console import Console
from rich.table import Table

from bench.generator import SyntheticCounty


def main() -> None:
    table = Table(title="Synthetic county generator / 模拟县数据生成")
    table.add_column("households")
    table.add_column("members")
    table.add_column("seconds")
    table.add_column("households/s")
    for count in (10_000, 100_000):
        started = time.perf_counter()
        county = SyntheticCounty("522627000000", seed=2026, townships=10, villages_per_township=20)
        members = sum(len(household.survey()["members"]) for household in county.households(count))
        elapsed = time.perf_counter() - started
        table.add_row(f"{count:,}", f"{members:,}", f"{elapsed:.2f}", f"{count / elapsed:,.0f}")
    Console().print(table)


if __name__ == "__main__":
    main()
