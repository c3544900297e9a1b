"""The benchmark suite: `python benchmarks/run.py --size medium` (see benchmarks/README.md)."""
