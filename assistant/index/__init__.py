"""The index: a SQLite registry (source of truth), Chroma vectors and a BM25 keyword index."""
