"""What users ask of a model: sampling, editing, mixing, encoding (no Qt)."""

from studio.pipelines.cancel import Cancelled, CancelToken

__all__ = ["CancelToken", "Cancelled"]
