"""Errors raised while loading files; each says what to do next."""


class UnreadableDocumentError(Exception):
    """A file that cannot be turned into text (binary, corrupt, empty, unsupported)."""
