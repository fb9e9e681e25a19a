"""The errors that cross floors; each message says what to do next."""


class UnreadableDocumentError(Exception):
    """A file that cannot be turned into text (binary, corrupt, empty, unsupported)."""


class IngestError(Exception):
    """The ingest cannot start (missing or empty folder); the message says what to do."""


class ManifestError(Exception):
    """The manifest exists but cannot be used; the message says where it is wrong."""


class QuestionError(ValueError):
    """An unusable question (empty or too long); the message says what is wrong."""


class FilterError(QuestionError):
    """Unusable filters (unknown field or document id, a date that is not one); ``details``
    carries the machine-readable part (e.g. the allowed fields, the unknown ids)."""

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.details = details


class IndexUnavailable(RuntimeError):
    """The vector index (a Chroma server) did not answer in time or refused the connection;
    a transient condition: retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotFoundError(LookupError):
    """An unknown document or passage id."""


class UploadRefused(ValueError):
    """An upload that is not indexed: ``status`` is the HTTP status that fits (413, 415, 422)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ArchiveTooLargeError(UploadRefused, UnreadableDocumentError):
    """A zip-based file (.docx) that would expand past a limit: refused before it is parsed.

    An upload answers ``status`` (413); a folder ingest skips the file like any unreadable one.
    """

    def __init__(self, message: str) -> None:
        super().__init__(413, "archive_too_large", message)


class IndexBusyError(UploadRefused):
    """Another write to the index (an ingest, upload or delete) held it for too long."""

    def __init__(self, message: str) -> None:
        super().__init__(503, "index_busy", message)
