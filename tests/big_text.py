"""Large council-style plain text for the upload-job tests (this module holds no tests itself).

``council_text(n)`` is about ``n`` bytes of varied paragraphs under numbered section headings,
deterministic, with one findable finding (``FINDING``) near the start, so a test can ask about
the document once it is indexed.
"""

from __future__ import annotations

import random

FINDING = (
    "Wakefield will fund free bricklaying courses for adult learners in every ward from 2026, "
    "with local employers offering paid placements."
)
FINDING_QUESTION = "What will Wakefield fund for adult learners?"
_WORDS = [
    "council",
    "skills",
    "adult",
    "learning",
    "apprenticeships",
    "library",
    "partners",
    "funding",
    "strategy",
    "college",
    "employers",
    "youth",
    "culture",
    "heritage",
    "museum",
    "schools",
    "attainment",
    "budget",
    "review",
    "wellbeing",
    "digital",
    "inclusion",
    "transport",
    "housing",
    "careers",
    "volunteers",
    "outcomes",
    "targets",
]


def council_text(target_bytes: int, seed: int = 7) -> bytes:
    """About ``target_bytes`` of UTF-8 text (never more)."""
    rnd = random.Random(seed)
    parts = ["Wakefield Adult Skills Strategy 2026 to 2030\n\n", f"{FINDING}\n\n"]
    size = sum(len(p) for p in parts)
    number = 0
    while size < target_bytes:
        number += 1
        if number % 40 == 1:
            part = f"Section {number // 40 + 1}: priorities for area {number}\n\n"
        else:
            sentences = [
                " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(8, 18))).capitalize()
                + f" in ward {number}."
                for _ in range(rnd.randint(3, 6))
            ]
            part = " ".join(sentences) + "\n\n"
        parts.append(part)
        size += len(part)
    return "".join(parts).encode()[:target_bytes]
