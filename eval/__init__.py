"""Known-findings evaluation and retrieval/speed benchmarks."""
