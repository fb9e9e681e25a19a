"""Answer content through the API, on the real model and the ingested seed corpus."""

from __future__ import annotations

import pytest

from assistant.core.normalise import fold_for_match
from tests.api_support import APPRENTICESHIPS, client_for, sse_json

pytestmark = pytest.mark.integration
MID_TERM = "city-of-london-mid-term-review"


@pytest.fixture(scope="module")
def client(corpus_service):
    return client_for(corpus_service)


def apprenticeship_citation(answer: dict) -> dict:
    matching = [
        c
        for c in answer["citations"]
        if c["doc_id"] == MID_TERM and "apprenticeships offer" in c["text"]
    ]
    assert matching, answer
    return matching[0]


def test_ask_cites_the_mid_term_review_on_apprenticeships(client):
    response = client.post("/api/v1/ask", json={"question": APPRENTICESHIPS})
    assert response.status_code == 200
    answer = response.json()
    assert answer["abstained"] is False
    citation = apprenticeship_citation(answer)
    assert f"[{citation['n']}]" in answer["answer"]
    assert "apprenticeships offer had improved significantly" in answer["answer"]
    supporting = citation["text"][citation["sentence_start"] : citation["sentence_end"]]
    assert "apprenticeships offer" in supporting
    text = client.get(f"/api/v1/documents/{MID_TERM}/text").json()["text"]
    assert "apprenticeships offer" in text[citation["start"] : citation["end"]]
    passage = client.get(f"/api/v1/passages/{citation['chunk_id']}").json()
    assert passage["document"]["doc_id"] == MID_TERM
    assert passage["chunk"]["text"] == citation["text"]


def test_stream_carries_the_same_cited_answer(client):
    response = client.post("/api/v1/ask/stream", json={"question": APPRENTICESHIPS})
    events = sse_json(response.text)
    assert [name for name, _ in events][-2:] == ["answer", "done"]
    answer = events[-2][1]
    apprenticeship_citation(answer)
    assert "".join(d["text"] for name, d in events if name == "delta") == answer["answer"]


def test_out_of_scope_question_abstains_with_closest_passages(client):
    answer = client.post(
        "/api/v1/ask", json={"question": "What is the boiling point of mercury?"}
    ).json()
    assert answer["abstained"] is True
    assert "don't say" in answer["answer"]


def test_a_filter_to_another_document_changes_the_evidence(client):
    other = "greater-manchester-education-skills"
    unfiltered = client.post("/api/v1/ask", json={"question": APPRENTICESHIPS}).json()
    apprenticeship_citation(unfiltered)  # without the filter the mid-term review is the evidence
    response = client.post(
        "/api/v1/ask", json={"question": APPRENTICESHIPS, "filters": {"doc_ids": [other]}}
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["citations"], answer  # an answer or the closest passages: never nothing
    assert {c["doc_id"] for c in answer["citations"]} == {other}
    text = client.get(f"/api/v1/documents/{other}/text").json()["text"]
    title = client.get(f"/api/v1/documents/{other}").json()["meta"]["title"]
    for citation in answer["citations"]:
        passage = client.get(f"/api/v1/passages/{citation['chunk_id']}").json()
        chunk = passage["chunk"]
        assert passage["document"]["doc_id"] == chunk["doc_id"] == other
        assert citation["title"] == title
        assert citation["section"] == " > ".join(chunk["section_path"])
        assert (citation["start"], citation["end"]) == (chunk["start"], chunk["end"])
        assert citation["text"] == chunk["text"] and citation["page"] == chunk["page"]
        assert 0 <= citation["start"] < citation["end"] <= len(text)
        if citation["sentence_start"] is not None:
            assert 0 <= citation["sentence_start"] < citation["sentence_end"]
            assert citation["sentence_end"] <= len(citation["text"])
            sentence = citation["text"][citation["sentence_start"] : citation["sentence_end"]]
            assert sentence.strip()
            if citation["kind"] != "table":  # table rows are rendered "Header: value"
                # passage text is the source slice with bold markup removed (see test_chunking)
                source = text[citation["start"] : citation["end"]].replace("**", "")
                assert fold_for_match(sentence.lstrip("- ")) in fold_for_match(source)
        if not answer["abstained"]:
            assert f"[{citation['n']}]" in answer["answer"]


def test_search_finds_the_apprenticeship_passage(client):
    body = client.get("/api/v1/search", params={"q": APPRENTICESHIPS, "k": 3}).json()
    assert body["count"] == 3
    assert any(
        p["chunk"]["doc_id"] == MID_TERM and "apprenticeships offer" in p["chunk"]["text"]
        for p in body["passages"]
    )


def test_openai_facade_answer_lists_its_sources(client):
    body = client.post(
        "/v1/chat/completions",
        json={
            "model": "strategy-assistant",
            "messages": [{"role": "user", "content": APPRENTICESHIPS}],
        },
    ).json()
    content = body["choices"][0]["message"]["content"]
    citation = next(c for c in body["citations"] if c["doc_id"] == MID_TERM)
    assert "apprenticeships offer had improved significantly" in content
    assert f"[{citation['n']}] {citation['title']} — {citation['section']}" in content
