"""Small lexical helpers shared by the answerers and follow-up rewriting."""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "said",
        "say",
        "says",
        "tell",
        "told",
        "documents",
        "document",
        "report",
        "paper",
    ]
)
_WORD = re.compile(r"[a-z0-9£$%][a-z0-9£$%'\-]*")


def content_words(text: str) -> set[str]:
    """Lower-cased words minus stopwords, crudely singularised ("apprenticeships" matches)."""
    words = set()
    for word in _WORD.findall(text.lower()):
        word = word.strip("'-")
        if word.endswith("'s"):
            word = word[:-2]
        if len(word) < 2 or word in STOPWORDS:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return words


def overlap(question_words: set[str], sentence: str) -> float:
    """Share of the question's content words present in ``sentence``."""
    if not question_words:
        return 0.0
    return len(question_words & content_words(sentence)) / len(question_words)


_NAME_OR_NUMBER = re.compile(r"\b(?:[A-Z][\w'&.-]*[A-Za-z0-9]|[A-Z]|\d[\d,./]*\d|\d)\b")


def specific_terms(question: str) -> list[str]:
    """Names and numbers a question hinges on ("Leeds", "NEET", "2022").

    Capitalised words count unless they open the sentence (where every word is capitalised);
    question words and stopwords never count.
    """
    terms: list[str] = []
    for match in _NAME_OR_NUMBER.finditer(question):
        word = match.group(0)
        if word.endswith("'s"):
            word = word[:-2]
        before = question[: match.start()].rstrip()
        sentence_start = not before or before[-1] in '.?!:;"“'
        if word.lower() in STOPWORDS or (sentence_start and not word[0].isdigit()):
            continue
        if len(word) > 1 and word not in terms:
            terms.append(word)
    return terms
