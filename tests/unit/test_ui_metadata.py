"""The library's edit form: its handlers, and the Gradio tab it lives in."""

from __future__ import annotations

import pytest

from ui import handlers

DOC = "kirklees-learning-strategy-scrutiny"


@pytest.fixture
def library(fake_service, corpus_copy):
    (corpus_copy / "manifest.yaml").unlink()  # identities inferred, as officers' folders are
    fake_service.ingest_folder(corpus_copy)
    return fake_service


def test_the_form_shows_the_values_and_where_they_came_from(library):
    values, origin = handlers.metadata_values(library, DOC)
    fields = dict(zip(handlers.METADATA_FIELDS, values, strict=True))
    assert fields["organisation"] == "Kirklees Council" and fields["date"] == "2020-10-01"
    assert "place: inferred" in origin


def test_saving_changes_only_what_was_edited_and_a_cleared_field_undoes_it(library):
    values, _ = handlers.metadata_values(library, DOC)
    fields = dict(zip(handlers.METADATA_FIELDS, values, strict=True))
    fields["place"] = "Huddersfield"
    message, saved = handlers.save_metadata(library, DOC, list(fields.values()))
    assert saved and "place" in message and "title" not in message
    meta = library.document(DOC).meta
    assert meta.place == "Huddersfield" and meta.extra["provenance"]["place"] == "edited"
    assert meta.extra["provenance"]["title"] == "inferred"
    assert any(row[2] == "Huddersfield" for row in handlers.library_rows(library))
    fields["place"] = ""
    assert handlers.save_metadata(library, DOC, list(fields.values()))[1]
    assert library.document(DOC).meta.place == "Kirklees"


def test_saving_explains_what_to_fix(library):
    values, _ = handlers.metadata_values(library, DOC)
    assert handlers.save_metadata(library, DOC, values) == ("Nothing changed.", False)
    values[handlers.METADATA_FIELDS.index("date")] = "next spring"
    message, saved = handlers.save_metadata(library, DOC, values)
    assert not saved and "not an ISO date" in message
    assert handlers.save_metadata(library, None, values)[1] is False


def test_the_library_tab_has_the_edit_form(library):
    import gradio as gr

    from ui.tabs import build_library_tab

    with gr.Blocks() as page:
        build_library_tab(library)
    labels = {getattr(block, "label", None) for block in page.blocks.values()}
    assert {"Document to edit", "Place", "Summary"} <= labels
