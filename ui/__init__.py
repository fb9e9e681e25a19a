"""Gradio web UI, mounted on the API app at /ui."""
