"""The application layer: ask, library, documents, health.

The one place components are built from Settings; the edges (API, UI, CLI) call only this.
"""
