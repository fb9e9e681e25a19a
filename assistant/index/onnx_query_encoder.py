"""Questions encoded by ONNX Runtime instead of PyTorch, with the same vectors.

For one short question PyTorch's per-operator overhead dominates: on this project's 2-core
machine all-MiniLM-L6-v2 takes 15-20 ms per question in PyTorch and about 6 ms in ONNX Runtime
(see docs/BENCHMARKS.md). The transformer is exported from the loaded sentence-transformers
model itself (nothing is downloaded), mean-pooled and normalised here exactly as the model's own
pipeline does, and checked against it on probe sentences before use; any model this does not
fit (other pooling, extra layers) or any export failure leaves question encoding on PyTorch.
Bulk ingest stays on sentence-transformers: for long batches the two run at the same speed.

The exported graph is cached on disk (keyed by the weights file, torch and opset versions), so
only the first start pays for the export (about 2 s).
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from pathlib import Path

import numpy as np

OPSET = 17
PROBES = [
    "What did partners say about apprenticeships?",
    "How much funding was allocated to adult learning in 2022 and by whom?",
    "Recommendation 3",
]
MIN_PROBE_COSINE = 0.9999


class UnsupportedModelError(RuntimeError):
    """The model's pipeline is not transformer + mean pooling (+ normalise)."""


class OnnxQueryEncoder:
    """Encode short texts with the sentence-transformers model's transformer in ONNX Runtime."""

    def __init__(
        self,
        model,
        model_path: Path,
        cache_dir: Path | None = None,
        threads: int | None = None,
    ) -> None:
        import onnxruntime as ort

        modules = list(model)
        names = [type(m).__name__ for m in modules]
        if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            raise UnsupportedModelError(f"pipeline {names} is not transformer + pooling")
        if modules[1].get_config_dict().get("pooling_mode") != "mean":
            raise UnsupportedModelError("only mean pooling is exported")
        self.model = model
        self.model_path = model_path
        self.tokenizer = model.tokenizer
        self.max_length = int(model.max_seq_length)
        self.input_names = list(self.tokenizer.model_input_names)
        graph = self._graph(cache_dir)
        options = ort.SessionOptions()
        # Half the cores: the rest of a request (Chroma, BM25, answer, HTTP) runs in Python
        # beside it. On 2 cores under 20 clients, 1 thread served 81 req/s against 57 with 2.
        options.intra_op_num_threads = threads or max(1, (os.cpu_count() or 2) // 2)
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        self._check_against(model)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors (float32) for ``texts``."""
        features = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="np"
        )
        inputs = {name: features[name].astype(np.int64) for name in self.input_names}
        hidden = self.session.run(None, inputs)[0]
        mask = features["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.where(norms == 0, 1.0, norms)).astype(np.float32)

    # -- export ----------------------------------------------------------------------------------
    def _graph(self, cache_dir: Path | None) -> bytes:
        path = cache_dir / f"query-encoder-{self._key()}.onnx" if cache_dir else None
        if path is not None and path.exists():
            return path.read_bytes()
        graph = self._export()
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(f".{os.getpid()}.partial")
                partial.write_bytes(graph)
                partial.replace(path)  # atomic: a concurrent start never reads half a file
            except OSError:
                pass  # a read-only data folder only costs the export on the next start
        return graph

    def _key(self) -> str:
        import torch

        transformer = self.model[0].auto_model
        weights = sorted(
            p for p in self.model_path.rglob("*") if p.suffix in (".safetensors", ".bin")
        )
        stamp = [f"{p.resolve()}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in weights]
        parts = [*stamp, type(transformer).__name__, torch.__version__, str(OPSET)]
        parts.append(str(sum(p.numel() for p in transformer.parameters())))
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

    def _export(self) -> bytes:
        import torch

        transformer = self.model[0].auto_model
        names = self.input_names

        class Wrapper(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.transformer = transformer

            def forward(self, *tensors):
                return self.transformer(**dict(zip(names, tensors, strict=True))).last_hidden_state

        sample = self.tokenizer(["a sample question"], return_tensors="pt")
        axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
        buffer = io.BytesIO()
        # The tracer warns that shape checks become constants; the probe check below (and the
        # tests, with padded batches and truncated long inputs) show the graph still fits.
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Wrapper().eval(),
                tuple(sample[name] for name in names),
                buffer,
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
        return buffer.getvalue()

    def _check_against(self, model) -> None:
        expected = model.encode(PROBES, normalize_embeddings=True, convert_to_numpy=True)
        cosines = (self.encode(PROBES) * expected).sum(axis=1)
        if float(cosines.min()) < MIN_PROBE_COSINE:
            raise UnsupportedModelError(
                f"ONNX vectors differ from the model's own (cosine {cosines.min():.5f})"
            )
