"""The Gradio web UI: layout and wiring only; behaviour lives in ``ui/handlers.py``.

``build_ui(service)`` returns the Blocks; ``mount_ui(app, service)`` mounts it on the API's
FastAPI app at ``/ui`` (``assistant/api/app.py`` calls it when ``settings.ui_enabled``), so the UI
and the API share one ``AssistantService``: one model in memory, one index, one feedback store.
"""

from __future__ import annotations

import gradio as gr
from fastapi import FastAPI, Response

from assistant.application.documents import Caller
from assistant.application.service import AssistantService
from assistant.core.errors import UploadRefused
from ui import assets, handlers, render, render_views, uploads
from ui.tabs import build_ask_tab, build_compare_tab, build_library_tab, filter_accordion

# Local fonts only: the default theme pulls Google Fonts, which an offline server cannot serve
# and which would log errors in the browser console.
FONT = ("system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif")
CONCURRENCY = 8
FONT_MONO = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")


def make_theme() -> gr.themes.Base:
    return gr.themes.Soft(
        primary_hue="indigo", secondary_hue="slate", font=FONT, font_mono=FONT_MONO
    )


def build_ui(service: AssistantService) -> gr.Blocks:
    """All views of the assistant: Ask (chat), Library, Compare, and the source viewer."""
    with gr.Blocks(title="Strategy Assistant", analytics_enabled=False) as demo:
        header = gr.HTML(
            render_views.header(service.health()),
            js_on_load=assets.BRIDGE_JS,
            elem_id="sa-header",
        )
        with gr.Sidebar(
            label="Source viewer",
            open=False,
            position="right",
            width="min(560px, 100vw)",
            elem_id="sa-sidebar",
        ) as sidebar:
            viewer = gr.HTML(
                render_views.VIEWER_EMPTY, elem_id="sa-viewer", js_on_load=assets.VIEWER_JS
            )
        with gr.Tabs(overflow_behavior="wrap"):
            with gr.Tab("Ask", id="ask"):
                ask = build_ask_tab(service)
            with gr.Tab("Library", id="library"):
                library = build_library_tab(service)
            with gr.Tab("Compare", id="compare"):
                compare = build_compare_tab(service)
        if service.settings.api_key:  # signed in through /login (assistant.api.routes_login)
            gr.HTML(
                '<p class="sa-signout"><a href="/logout">Sign out</a></p>',
                js_on_load=None,
                elem_id="sa-signout",
            )

        def open_source(evt: gr.EventData):
            data = getattr(evt, "_data", None) or {}
            chunk_id = data.get("chunk_id") if isinstance(data, dict) else None
            if not chunk_id:
                return gr.skip(), gr.skip()
            html = handlers.open_passage(service, chunk_id, data.get("span"))
            return html, gr.Sidebar(open=True)

        header.click(open_source, None, [viewer, sidebar], queue=False, show_progress="hidden")

        # Everything whose choices come from the library, refreshed on page load and upload.
        def refresh(*filter_values):
            c = handlers.choices(service)
            return (
                filter_accordion(service, list(filter_values)),
                render_views.header(service.health()),
                handlers.library_rows(service),
                gr.Dropdown(choices=c["documents"]),
                handlers.recommendations_html(service),
                gr.Dropdown(choices=c["documents"]),
                gr.Dropdown(choices=c["places"]),
                gr.Dropdown(choices=c["organisations"]),
                gr.Dropdown(choices=c["kinds"]),
                gr.Dropdown(choices=c["documents"]),
            )

        refresh_outputs = [
            ask.accordion,
            header,
            library.table,
            library.doc_pick,
            library.recommendations,
            ask.doc_ids,
            ask.places,
            ask.organisations,
            ask.kinds,
            compare.doc_ids,
        ]
        demo.load(refresh, ask.filter_inputs, refresh_outputs, show_progress="hidden")

        unchanged = [gr.skip()] * len(refresh_outputs)
        idle = (None, gr.Timer(active=False), gr.Button(visible=False))

        def upload(path: str | None, replace: bool, request: gr.Request | None, filter_values):
            """Start adding the file as a background job, polled by the timer; when its name
            is another document's, ask before replacing it."""
            hidden = gr.Row(visible=False)
            if not path:
                status = render.message("Choose a file to add first.", "error")
                return (status, gr.skip(), gr.skip(), hidden, *idle, *unchanged)
            with open(path, "rb") as handle:
                data = handle.read()
            client = request.client.host if request is not None and request.client else None
            caller = Caller(via="ui", client=client)
            result = uploads.start_upload(service, data, path, replace, caller)
            if result.conflict:
                status = render.message(result.message, "warning")
                return (status, gr.skip(), gr.skip(), gr.Row(visible=True), *idle, *unchanged)
            if not result.ok:
                status = render.message(result.message, "error")
                return (status, gr.skip(), gr.skip(), hidden, *idle, *unchanged)
            running = (result.job_id, gr.Timer(active=True), gr.Button(visible=True))
            return (result.message, gr.skip(), gr.skip(), hidden, *running, *unchanged)

        def poll(job_id: str | None, *filter_values):
            """The running upload's progress; once it has ended, its outcome and the library."""
            if not job_id:
                return (gr.skip(), gr.skip(), gr.skip(), gr.skip(), *idle, *unchanged)
            job = service.job(job_id)
            ended = uploads.job_panel(job)
            if ended is None:
                progress = uploads.progress_html(job)
                return (progress, gr.skip(), gr.skip(), gr.skip(), *[gr.skip()] * 3, *unchanged)
            status = render.message(ended.message, "ok" if ended.ok else "error")
            if not ended.ok or ended.doc_id is None:
                return (status, gr.skip(), gr.skip(), gr.skip(), *idle, *unchanged)
            outline = handlers.document_outline(service, ended.doc_id)
            refreshed = list(refresh(*filter_values))
            refreshed[refresh_outputs.index(library.doc_pick)] = gr.Dropdown(
                choices=handlers.choices(service)["documents"], value=ended.doc_id
            )
            return (status, None, outline, gr.skip(), *idle, *refreshed)

        def stop(job_id: str | None):
            try:
                return uploads.progress_html(service.cancel_job(job_id)) if job_id else gr.skip()
            except UploadRefused:  # it had just ended: the next tick shows how
                return gr.skip()

        def add(path: str | None, request: gr.Request, *filter_values):
            return upload(path, False, request, filter_values)

        def replace(path: str | None, request: gr.Request, *filter_values):
            return upload(path, True, request, filter_values)

        def keep():
            return render.message("Nothing was changed.", "ok"), gr.Row(visible=False)

        job_id = gr.State(None)
        upload_outputs = [
            library.status,
            library.file,
            library.detail,
            library.confirm,
            job_id,
            library.timer,
            library.stop,
            *refresh_outputs,
        ]
        library.add.click(add, [library.file, *ask.filter_inputs], upload_outputs)
        library.replace.click(replace, [library.file, *ask.filter_inputs], upload_outputs)
        library.timer.tick(
            poll, [job_id, *ask.filter_inputs], upload_outputs, show_progress="hidden"
        )
        library.stop.click(stop, job_id, library.status, show_progress="hidden")
        library.keep.click(keep, None, [library.status, library.confirm], queue=False)
        library.file.change(lambda: gr.Row(visible=False), None, library.confirm, queue=False)
    # Several staff can ask at once: the service is thread-safe (the model call is serialised).
    demo.queue(default_concurrency_limit=CONCURRENCY)
    return demo


def _serve_favicon(app: FastAPI) -> None:
    """Browsers ask the site root for /favicon.ico; answer it rather than log a 404 error."""
    if any(getattr(route, "path", None) == "/favicon.ico" for route in app.routes):
        return

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(assets.FAVICON_SVG, media_type="image/svg+xml")


def mount_ui(app: FastAPI, service: AssistantService, path: str = "/ui") -> FastAPI:
    """Mount the UI on ``app`` at ``path``, sharing the API's service."""
    demo = build_ui(service)
    _serve_favicon(app)
    return gr.mount_gradio_app(
        app,
        demo,
        path=path,
        theme=make_theme(),
        css=assets.CSS,
        head=assets.HEAD,
        footer_links=["api", "settings"],
        run_history=False,
        max_file_size=service.settings.max_upload_bytes,
        ssr_mode=False,
        pwa=False,
    )
