"""Resolve follow-up questions against the conversation before retrieval.

Without an LLM the rewrite is deterministic: "what about X?" swaps X into the previous
question's topic slot; a short or pronoun-led question ("what did the Kirklees report say about
that?") is extended with the previous question's content words. With an LLM configured the
service asks it instead (see llm_answerer.rewrite_with_llm).
"""

from __future__ import annotations

import re

from assistant.core.models import Turn
from assistant.core.text_match import content_words

_WHAT_ABOUT = re.compile(
    r"^\s*(?:and|but|also|ok|okay|so)?[\s,]*(?:what|how)\s+about\s+(?P<topic>.+?)\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_TOPIC_SLOT = re.compile(
    r"\b(about|on|regarding|for|concerning|towards)\b\s+(?P<topic>[^?]+)", re.IGNORECASE
)
_ANAPHORA = re.compile(
    r"\b(that|this|it|its|they|them|their|those|these|there|he|she|then|"
    r"after that|before that|the same|else|more)\b",
    re.IGNORECASE,
)
_CONTINUATION = re.compile(r"^\s*(and|but|also|so|then|what else|why|how come)\b", re.IGNORECASE)
MAX_FOLLOW_UP_WORDS = 4


def previous_question(history: list[Turn]) -> str | None:
    for turn in reversed(history):
        if turn.role == "user" and turn.content.strip():
            return turn.content.strip()
    return None


def is_follow_up(question: str) -> bool:
    words = content_words(question)
    if _WHAT_ABOUT.match(question) or _CONTINUATION.match(question):
        return True
    return bool(_ANAPHORA.search(question)) and len(words) <= MAX_FOLLOW_UP_WORDS


def rewrite_follow_up(question: str, history: list[Turn]) -> str:
    """A standalone version of ``question`` given the earlier turns (unchanged if standalone)."""
    previous = previous_question(history)
    if not previous or not is_follow_up(question):
        return question
    what_about = _WHAT_ABOUT.match(question)
    if what_about:
        topic = what_about.group("topic")
        slot = _TOPIC_SLOT.search(previous)
        if slot:
            return f"{previous[: slot.start('topic')]}{topic}?"
        return f"{topic}: {previous}"
    missing = [w for w in _ordered_words(previous) if w not in content_words(question)]
    if not missing:
        return question
    return f"{question.rstrip()} (context: {' '.join(missing)})"


def _ordered_words(text: str) -> list[str]:
    seen: list[str] = []
    for word in re.findall(r"[\w£$%'-]+", text):
        key = next(iter(content_words(word)), None)
        if key and key not in seen:
            seen.append(key)
    return seen
