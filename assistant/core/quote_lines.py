"""How a quote's speaker is written on the quote's own line, in council documents.

'A further education college principal said: "…"' and '"…" — Refugee support worker'. Ingest
reads the speaker from these (``ingest.blocks``) and the answer drops them from the quoted
words, since it names the speaker itself (``answering.composition``): one wording for both.
"""

from __future__ import annotations

# the speaker and a reporting verb before the opening quote mark ("A tutor said: ")
SPEAKER_BEFORE = (
    r"(?P<who>[A-Z][^:\"“”]{2,60}?)\s+(?:said|says|told\s+us|commented|explained|added|noted)"
    r"\s*:?\s*"
)
# a dash and the speaker after the closing quote mark (' — Youth worker')
SPEAKER_AFTER = r"\s*[—–-]{1,2}\s*(?P<who>[^\"“”]{2,60})"
