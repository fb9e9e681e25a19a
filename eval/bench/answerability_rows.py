"""One row per retrieved case: the product's answerability features, and the old rule's call.

Features come from the product's own code (``evidence_sentences`` then ``features``, with the
question words' rarity in the index as ``AskService`` passes it), so changing ``FEATURES``
needs no change here: a rerun recomputes every row from the cached retrieval results.

The old rule ("before") is today's abstention: a name or number of the question that no
indexed passage mentions (``unmentioned_terms``), or best evidence score under
``abstain_threshold``, or no quotable sentence near the best. For an unanswerable case the gold
paragraphs are only filtered out, not removed, so the unmentioned-terms check is made as if
they were not indexed: a term counts as mentioned only if a passage of another document has it.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from assistant.answering.answerability import Features, features

try:
    from assistant.answering.answerability import judged_evidence
except ImportError:  # a version before judge_k (benchmarked from an older worktree)
    judged_evidence = None
from assistant.answering.evidence import evidence_sentences, is_fragment
from assistant.core.chunk_ids import doc_id_of
from assistant.core.models import RetrievalResult
from assistant.core.text_match import content_words, specific_terms
from eval.bench.answerability_cases import Case
from eval.bench.answerability_indexes import Opened
from eval.bench.answerability_retrieval import RetrievalCache

# Mirrors ExtractiveAnswerer._select's floors (how far below the best a quoted sentence may be)
SAME_DOCUMENT_MARGIN = 0.2
OTHER_DOCUMENT_MARGIN = 0.12
MISSING_TERM_SCORE = 10.0  # the old rule's abstain score when a term is never mentioned
_TAKES_RARITY = len(inspect.signature(features).parameters) >= 4


@dataclass
class Row:
    case: Case
    index: str  # alone | mixed
    features: Features
    best: float  # best evidence sentence score
    old_abstain: bool
    old_score: float  # higher: more reason to abstain
    gold_retrieved: bool  # a gold paragraph among the passages
    answer_in_passages: bool  # a gold answer text inside a retrieved passage


def unmentioned_outside(keywords, terms: list[str], excluded: set[str]) -> list[str]:
    """``KeywordIndex.missing_terms`` as if the ``excluded`` documents were not indexed: a term
    is missing when one of its tokens occurs only in excluded documents' passages (or nowhere).
    Reads the bm25s matrix (column per token: the passages holding it)."""
    import bm25s

    missing = keywords.missing_terms(terms)
    if not excluded or keywords.retriever is None:
        return missing
    vocab = keywords.retriever.vocab_dict
    indptr = keywords.retriever.scores["indptr"]
    indices = keywords.retriever.scores["indices"]
    for term in terms:
        if term in missing:
            continue
        tokens = bm25s.tokenize(
            [term], stopwords=None, stemmer=keywords._stemmer, show_progress=False, return_ids=False
        )[0]
        for token in tokens:
            column = vocab[token]
            holders = indices[indptr[column] : indptr[column + 1]]
            if all(doc_id_of(keywords.ids[int(i)]) in excluded for i in holders):
                missing.append(term)
                break
    return missing


def old_rule(
    result: RetrievalResult, scored: list, corpus_missing: list[str], threshold: float
) -> tuple[bool, float]:
    """(abstains, abstain score) by today's rule: unmentioned term, weak evidence, or nothing
    quotable within the answerer's margins of the best sentence."""
    best = scored[0].score if scored else 0.0
    if corpus_missing:
        return True, MISSING_TERM_SCORE
    if best < threshold:
        return True, -best
    best_doc = result.passages[scored[0].passage_index].chunk.doc_id
    same = max(threshold, best - SAME_DOCUMENT_MARGIN)
    other = max(threshold, best - OTHER_DOCUMENT_MARGIN)
    for sentence in scored:
        if sentence.score < same:
            break
        passage = result.passages[sentence.passage_index]
        if passage.chunk.doc_id != best_doc and sentence.score < other:
            continue
        if not is_fragment(passage, sentence):
            return False, -best
    return True, -best


def _contains_answer(result: RetrievalResult, answers: tuple[str, ...]) -> bool:
    texts = [p.chunk.text.casefold() for p in result.passages]
    return any(a.strip() and a.strip().casefold() in t for a in answers for t in texts)


def rows_for(
    index: Opened, cache: RetrievalCache, cases: list[Case], label: str, threshold: float
) -> list[Row]:
    keywords = index.service.store.keyword_index()
    # the product judges on its first judge_k passages (older versions: all of them)
    judge_k = getattr(index.service.settings, "judge_k", None)
    rows = []
    for case in cases:
        result = cache.get(case)
        scored = evidence_sentences(case.question, result)
        judged = judged_evidence(scored, judge_k) if judge_k else scored
        if _TAKES_RARITY:
            words = sorted(content_words(case.question))
            rarity = keywords.inverse_document_frequencies(words)
            feats = features(case.question, result, judged, rarity)
        else:
            feats = features(case.question, result, judged)
        excluded = {index.doc_id(case.source, d) for d in case.exclude}
        missing = unmentioned_outside(keywords, specific_terms(case.question), excluded)
        abstains, old_score = old_rule(result, scored, missing, threshold)
        gold = {index.doc_id(case.source, d) for d in case.gold}
        retrieved = {p.chunk.doc_id for p in result.passages}
        rows.append(
            Row(
                case=case,
                index=label,
                features=feats,
                best=scored[0].score if scored else 0.0,
                old_abstain=abstains,
                old_score=old_score,
                gold_retrieved=bool(gold & retrieved),
                answer_in_passages=_contains_answer(result, case.answers),
            )
        )
    return rows
