"""Answer composition: extractive (default, no LLM) and optional LLM generation."""
