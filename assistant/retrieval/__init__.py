"""Hybrid retrieval: dense + BM25, fused, reranked and diversified."""
