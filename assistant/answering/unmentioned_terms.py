"""The abstain rule for names and numbers the documents never mention.

"What is Leeds' apprenticeship target?" over documents that never say "Leeds" cannot be
answered, however similar the retrieved passages look; the answer names the missing term.
"""

from __future__ import annotations

from assistant.core.text_match import specific_terms
from assistant.index.keyword_index import KeywordIndex


def unmentioned_terms(question: str, keywords: KeywordIndex) -> list[str]:
    """The question's specific terms (names, numbers) that no indexed passage contains."""
    return keywords.missing_terms(specific_terms(question))
