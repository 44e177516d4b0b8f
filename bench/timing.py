"""Latency percentiles of timed samples, as the benches print them."""


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in milliseconds."""
    ordered = sorted(samples)

    def pick(quantile: float) -> float:
        return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))] * 1000

    return pick(0.50), pick(0.95), pick(0.99)
