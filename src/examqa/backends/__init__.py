"""Backends that generate answers: ``hf`` (transformers), ``openai`` (vLLM-class servers), ``scripted``."""

from examqa.backends.base import Backend, BackendInfo, FinishReason, GenRequest, GenResult, Sampling

__all__ = ["Backend", "BackendInfo", "FinishReason", "GenRequest", "GenResult", "Sampling"]
