"""Time the key-result coaching check: mean and p99 per key result.

    .venv/bin/python bench/quality.py [--repeat N]

Runs okrs.quality.check_key_result over every labelled example in tests/okrs (development and
held-out sets), each one N times, and prints the per-call time. Two passes:

* warm: the per-word lexicon cache is filled, as it is on a running server after a few
  requests (the vocabulary of key results is small and repeats);
* cold: the cache is cleared before every call, so each call classifies its words from
  scratch: the worst case, the first request after a restart.

The target is under 1 ms per key result (DESIGN: measured here, never as a timed test). Expect
10-20 % noise from run to run on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from okrs import quality  # noqa: E402  (after the path is set)


def load_statements() -> list[str]:
    texts: list[str] = []
    for path in sorted((ROOT / "tests" / "okrs").glob("key_results_*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            texts += [json.loads(line)["text"] for line in lines if line.strip()]
    return texts


def per_call_us(texts: list[str], repeat: int, *, cold: bool) -> list[float]:
    """Microseconds per call for each statement: the best of three rounds of `repeat` calls,
    which keeps a scheduler hiccup from standing in for the function's cost."""
    clear = quality._word_flags.cache_clear
    timings = []
    for text in texts:
        if cold:

            def call(text: str = text) -> None:
                clear()
                quality.check_key_result(text)
        else:

            def call(text: str = text) -> None:
                quality.check_key_result(text)

        best = min(timeit.repeat(call, number=repeat, repeat=3))
        timings.append(best / repeat * 1e6)
    return timings


def report(label: str, timings: list[float]) -> None:
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(
        f"{label:<5} n={len(ordered)}  mean {statistics.mean(ordered):6.0f} µs  "
        f"p50 {statistics.median(ordered):6.0f} µs  p99 {p99:6.0f} µs  "
        f"max {ordered[-1]:6.0f} µs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="calls per statement per round")
    args = parser.parse_args()
    texts = load_statements()
    for text in texts:  # warm the cache and the regex engine once
        quality.check_key_result(text)
    print(f"check_key_result over {len(texts)} labelled key results, {args.repeat} calls each")
    report("warm", per_call_us(texts, args.repeat, cold=False))
    report("cold", per_call_us(texts, args.repeat, cold=True))


if __name__ == "__main__":
    main()
