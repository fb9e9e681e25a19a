"""Strategy Assistant: cited answers over local-government strategy documents."""

__version__ = "0.1.0"
