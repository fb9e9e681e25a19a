"""The errors that cross floors; each message says what to do next."""


class UnreadableDocumentError(Exception):
    """A file that cannot be turned into text (binary, corrupt, empty, unsupported)."""


class IngestError(Exception):
    """The ingest cannot start (missing or empty folder); the message says what to do."""


class ManifestError(Exception):
    """The manifest exists but cannot be used; the message says where it is wrong."""


class QuestionError(ValueError):
    """An unusable question (empty or too long); the message says what is wrong."""


class NotFoundError(LookupError):
    """An unknown document or passage id."""


class UploadRefused(ValueError):
    """An upload that is not indexed: ``status`` is the HTTP status that fits (413, 415, 422)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
