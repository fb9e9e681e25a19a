"""The three tabs of the UI (Ask, Library, Compare): components and their own events.

Each builder returns the components other parts of the page must update (filter choices after
an upload, for example); cross-tab wiring is in ``ui/gradio_app.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import gradio as gr

from assistant.application.service import AssistantService
from assistant.core.filters import SearchFilters
from ui import handlers, metadata_form, render

EXAMPLES = [
    "What did partners say about apprenticeships?",
    "What are the recommendations of the City of London mid-term review?",
    "How will Kirklees co-produce its learning strategy?",
    "What does Greater Manchester propose for adult education?",
    "Where does Birmingham still have some way to go as a learning city?",
]
COMPARE_EXAMPLE = (
    "How is adult learning treated?",
    [
        "city-of-london-mid-term-review",
        "kirklees-learning-strategy-scrutiny",
        "greater-manchester-education-skills",
    ],
)
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass
class AskTab:
    doc_ids: gr.Dropdown
    places: gr.Dropdown
    organisations: gr.Dropdown
    kinds: gr.Dropdown
    accordion: gr.Accordion
    filter_inputs: list[gr.components.Component]


@dataclass
class LibraryTab:
    table: gr.Dataframe
    doc_pick: gr.Dropdown
    detail: gr.HTML
    recommendations: gr.HTML
    file: gr.File
    add: gr.Button
    status: gr.HTML
    confirm: gr.Row  # shown when the file would replace a document of the same name
    replace: gr.Button
    keep: gr.Button
    stop: gr.Button  # shown while an upload runs in the background
    timer: gr.Timer  # polls the running upload's job


@dataclass
class CompareTab:
    doc_ids: gr.Dropdown


def _date_bound(value: str | None, label: str) -> str | None:
    value = (value or "").strip()
    if value and not _DATE.match(value):
        gr.Warning(f"{label} “{value}” is not a date like 2019, 2019-06 or 2019-06-30; ignored.")
        return None
    return value or None


def filters_of(values: list) -> SearchFilters:
    """The six filter controls' values (documents … to date) as ``SearchFilters``."""
    doc, place, org, kind, start, end = values
    return handlers.build_filters(
        doc, place, org, kind, _date_bound(start, "From date"), _date_bound(end, "To date")
    )


def filter_accordion(service: AssistantService, values: list) -> gr.Accordion:
    """The filter panel's title says what a question will search, even while it is closed."""
    text = handlers.filter_summary(service, filters_of(values))
    return gr.Accordion(label=f"Filters · {text}")


def build_ask_tab(service: AssistantService) -> AskTab:
    """Filters, the streamed conversation, and the citation cards of every answer."""
    c = handlers.choices(service)
    answers = gr.State([])
    summary = handlers.filter_summary(service, handlers.build_filters())
    with gr.Accordion(f"Filters · {summary}", open=False) as accordion:
        with gr.Row():
            doc_ids = gr.Dropdown(
                c["documents"],
                value=[],
                multiselect=True,
                label="Documents",
                info="Only these documents",
                scale=2,
                min_width=240,
            )
            places = gr.Dropdown(
                c["places"], value=[], multiselect=True, label="Places", min_width=180
            )
            kinds = gr.Dropdown(
                c["kinds"], value=[], multiselect=True, label="Kinds of document", min_width=180
            )
        with gr.Row():
            organisations = gr.Dropdown(
                c["organisations"],
                value=[],
                multiselect=True,
                label="Organisations",
                scale=2,
                min_width=240,
            )
            date_from = gr.Textbox(label="From date", placeholder="e.g. 2019", min_width=120)
            date_to = gr.Textbox(label="To date", placeholder="e.g. 2021-06", min_width=120)
            top_k = gr.Slider(
                1,
                10,
                value=service.settings.top_k,
                step=1,
                label="Passages per answer",
                min_width=180,
            )
    filter_inputs = [doc_ids, places, organisations, kinds, date_from, date_to]
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            chatbot = gr.Chatbot(
                label="Conversation",
                height="62vh",
                min_height=320,
                placeholder="**Ask about the strategy documents.** Every sentence of an answer "
                "is cited; click a number to see the passage it came from.",
                examples=[{"text": q} for q in EXAMPLES],
                feedback_options=("Like", "Dislike"),
                buttons=[],
                elem_id="sa-chat",
            )
            question = gr.Textbox(
                label="Your question",
                placeholder="Type a question and press Enter",
                lines=1,
                max_lines=6,
                submit_btn="Ask",
                elem_id="sa-question",
            )
            clear = gr.Button("New conversation", size="sm", variant="secondary")
        with gr.Column(scale=2, min_width=300):
            citations = gr.HTML(
                render.citations_panel([]),
                elem_id="sa-citations",
                label="Citations",
                js_on_load=None,
            )

    def on_filters(*values):
        return filter_accordion(service, list(values))

    for control in filter_inputs:
        event = control.change if isinstance(control, gr.Dropdown) else control.blur
        event(on_filters, filter_inputs, accordion, show_progress="hidden")

    def on_ask(text, state, *values):
        *filter_values, k = values
        filters = filters_of(filter_values)
        for update in handlers.chat_stream(service, text, state, filters, int(k)):
            if update.error:
                gr.Warning(update.error)
                yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
                return
            yield update.answers, update.messages, update.citations_html, ""

    ask_args = dict(
        fn=on_ask,
        inputs=[question, answers, *filter_inputs, top_k],
        outputs=[answers, chatbot, citations, question],
        trigger_mode="once",  # a second Enter while answering must not fork the conversation
    )
    question.submit(**ask_args)

    def on_example(evt: gr.SelectData) -> str:
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value or "")

    chatbot.example_select(on_example, None, question, queue=False).then(**ask_args)

    def on_like(state, data: gr.LikeData):
        note = handlers.record_feedback(service, state, data.index, data.liked)
        if note:
            gr.Info(note)

    chatbot.like(on_like, answers, None, queue=False)

    def on_clear():
        return [], [], render.citations_panel([]), ""

    clear.click(on_clear, None, [answers, chatbot, citations, question], queue=False)
    chatbot.clear(on_clear, None, [answers, chatbot, citations, question], queue=False)
    return AskTab(doc_ids, places, organisations, kinds, accordion, filter_inputs)


def build_library_tab(service: AssistantService) -> LibraryTab:
    """Documents table with outlines, recommendations across documents, and upload."""
    c = handlers.choices(service)
    with gr.Tabs(overflow_behavior="wrap"):
        with gr.Tab("Documents"):
            gr.Markdown("### Documents in the library")
            table = gr.Dataframe(
                handlers.library_rows(service),
                headers=handlers.LIBRARY_HEADERS,
                interactive=False,
                wrap=True,
                label="Documents in the library",
                show_label=False,
                show_search="search",
                max_height=420,
                elem_id="sa-library",
                column_widths=[300, 190, 130, 80, 120, 80, 100, 210],
            )
            first = c["documents"][0][1] if c["documents"] else None
            doc_pick = gr.Dropdown(
                c["documents"],
                value=first,
                label="Show the outline of",
                info="Or click a row of the table",
            )
            detail = gr.HTML(
                handlers.document_outline(service, first), elem_id="sa-outline", js_on_load=None
            )
        with gr.Tab("Recommendations"):
            recommendations = gr.HTML(
                handlers.recommendations_html(service),
                js_on_load=None,
                elem_id="sa-recommendations",
            )
        with gr.Tab("Add a document"):
            gr.Markdown(
                "Add a `.txt`, `.md`, `.pdf`, `.docx` or `.html` file. Its type is "
                "checked from its content; a bar shows how far indexing has gone (questions "
                "are answered meanwhile), and once added it is searchable straight away."
            )
            file = gr.File(
                label="Document file",
                file_types=[".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm"],
                type="filepath",
                elem_id="sa-upload",
                file_count="single",
            )
            add = gr.Button("Add to library", variant="primary")
            status = gr.HTML(js_on_load=None, elem_id="sa-upload-status")
            with gr.Row(visible=False, elem_id="sa-upload-confirm") as confirm:
                replace = gr.Button("Replace it with this file", variant="stop")
                keep = gr.Button("Keep the existing document", variant="secondary")
            stop = gr.Button(
                "Stop this upload", variant="secondary", visible=False, elem_id="sa-upload-stop"
            )
            timer = gr.Timer(1.0, active=False)
        with gr.Tab("Edit details"):
            metadata_form.build_metadata_form(service, table)

    def on_row(evt: gr.SelectData):
        row = evt.row_value or []
        return row[-1] if row else gr.skip()

    table.select(on_row, None, doc_pick, queue=False)
    doc_pick.change(
        lambda d: handlers.document_outline(service, d), doc_pick, detail, show_progress="hidden"
    )
    return LibraryTab(
        table,
        doc_pick,
        detail,
        recommendations,
        file,
        add,
        status,
        confirm,
        replace,
        keep,
        stop,
        timer,
    )


def build_compare_tab(service: AssistantService) -> CompareTab:
    """One question asked of several documents, answers side by side."""
    c = handlers.choices(service)
    gr.Markdown(
        "Ask one question of several documents at once; each answers from its own text, "
        "with its own citations."
    )
    with gr.Row(equal_height=False):
        question = gr.Textbox(
            label="Question for each document",
            scale=3,
            min_width=240,
            placeholder="e.g. How is adult learning treated?",
        )
        doc_ids = gr.Dropdown(
            c["documents"],
            value=[],
            multiselect=True,
            scale=3,
            min_width=240,
            label="Documents to compare (two or more)",
        )
    with gr.Row():
        run = gr.Button("Compare", variant="primary", min_width=120)
        example = gr.Button(
            "Example: adult learning in City of London, Kirklees and Greater Manchester",
            variant="secondary",
            size="sm",
        )
    output = gr.HTML(
        '<p class="sa-empty">Answers appear here side by side.</p>',
        elem_id="sa-compare",
        js_on_load=None,
    )

    def on_compare(text, docs):
        return handlers.compare_html(service, text, docs)

    run.click(on_compare, [question, doc_ids], output)
    question.submit(on_compare, [question, doc_ids], output)

    def on_example():
        known = {d for _, d in handlers.choices(service)["documents"]}
        return COMPARE_EXAMPLE[0], [d for d in COMPARE_EXAMPLE[1] if d in known]

    example.click(on_example, None, [question, doc_ids], queue=False).then(
        on_compare, [question, doc_ids], output
    )
    return CompareTab(doc_ids)
