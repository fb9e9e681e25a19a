"""The library's "Edit details" form: correct a document's title, organisation, place, date…

The logic is in ``ui/handlers.py`` (``metadata_values``, ``save_metadata``); this wires it.
"""

from __future__ import annotations

import gradio as gr

from assistant.application.service import AssistantService
from ui import handlers

LABELS = {
    "title": "Title",
    "short_name": "Short name (used in answers' lead-ins)",
    "organisation": "Organisation",
    "place": "Place",
    "date": "Date (e.g. 2025, 2025-03 or 2025-03-10)",
    "kind": "Kind of document",
    "summary": "Summary",
}


def build_metadata_form(service: AssistantService, table: gr.Dataframe) -> gr.Dropdown:
    """The form (inside the caller's tab); saving refreshes the library ``table``."""
    documents = handlers.choices(service)["documents"]
    first = documents[0][1] if documents else None
    gr.Markdown(
        "Correct what the assistant read from a document. Edits are kept when the document "
        "is indexed again; clear a field to go back to the read value."
    )
    pick = gr.Dropdown(documents, value=first, label="Document to edit")
    values, origin_text = handlers.metadata_values(service, first)
    fields = [
        gr.Textbox(value, label=LABELS[name], lines=3 if name == "summary" else 1)
        for name, value in zip(handlers.METADATA_FIELDS, values, strict=True)
    ]
    origin = gr.Markdown(origin_text)
    save = gr.Button("Save details", variant="primary")
    status = gr.Markdown()

    def on_pick(doc_id):
        current, where = handlers.metadata_values(service, doc_id)
        return (*current, where)

    def on_save(doc_id, *current):
        message, saved = handlers.save_metadata(service, doc_id, list(current))
        if not saved:
            return gr.skip(), message, gr.skip()
        _, where = handlers.metadata_values(service, doc_id)
        return handlers.library_rows(service), message, where

    pick.change(on_pick, pick, [*fields, origin], show_progress="hidden")
    save.click(on_save, [pick, *fields], [table, status, origin])
    return pick
