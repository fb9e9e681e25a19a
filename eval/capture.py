"""What an answer was built from: the passages its retrievals returned, or what it cites."""

from __future__ import annotations

from assistant.core.models import Answer, Passage


class CapturingRetriever:
    """Stands in for ``service.retriever`` and remembers what ``retrieve`` returned, so the
    evaluation scores exactly the passages the answer was built from. An answer may retrieve
    more than once (one retrieval per place a question names): ``passages()`` interleaves
    every result since ``reset()``, best of each first, so one retrieval scores as before."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self.last = None
        self.calls: list = []

    def retrieve(self, *args, **kwargs):
        self.last = self._inner.retrieve(*args, **kwargs)
        self.calls.append(self.last)
        return self.last

    def reset(self) -> None:
        self.calls = []

    def passages(self) -> list:
        lists = [call.passages for call in self.calls]
        merged, seen = [], set()
        for rank in range(max((len(x) for x in lists), default=0)):
            for passages in lists:
                if rank < len(passages) and passages[rank].chunk.chunk_id not in seen:
                    seen.add(passages[rank].chunk.chunk_id)
                    merged.append(passages[rank])
        return merged

    def __getattr__(self, name):
        return getattr(self._inner, name)


def cited_passages(service, answer: Answer) -> list[Passage]:
    """An answer read straight from the document's structure (its recommendations, its
    phases) retrieves nothing: its evidence is what it cites, in citation order."""
    ids = [c.chunk_id for c in answer.citations]
    chunks = service.store.registry.chunks(ids)
    metas = service.store.document_metas()
    return [
        Passage(chunk=chunks[i], document=metas[chunks[i].doc_id])
        for i in ids
        if i in chunks and chunks[i].doc_id in metas
    ]
