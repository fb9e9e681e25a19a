"""The model's transformer outside sentence-transformers: ONNX Runtime (questions and ingest)
or PyTorch in bfloat16, with the model's own mean pooling and normalisation.

The transformer is exported from the loaded sentence-transformers model itself (nothing is
downloaded), cached on disk (keyed by the weights file, torch and opset versions, so only the
first start pays for the export, about 2 s), mean-pooled and normalised here exactly as the
model's own pipeline does, and checked against it on probe texts (short ones padded together in
one batch, and one truncated at the model's maximum length) before use. A model this does not
fit (other pooling, extra layers) raises ``UnsupportedModelError``; the caller then stays on
sentence-transformers.

Bulk encoding (ingest) sorts the texts by token count and cuts them into batches of about
``batch_tokens`` tokens, each padded only to its own longest text, and runs ``workers`` batches
at once, one thread each: on this project's 2-core machine small batches are faster per token
than 64-text ones (the activations stay in cache), padding stays under 3 %, and two
single-threaded batches side by side beat one batch on two threads (docs/BENCHMARKS.md, Ingest).
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

OPSET = 17
PROBES = [
    "What did partners say about apprenticeships?",
    "How much funding was allocated to adult learning in 2022 and by whom?",
    "Recommendation 3",
    "The review recommends that the council " + "works with colleges and employers " * 60,
]
MIN_PROBE_COSINE = 0.9999


class UnsupportedModelError(RuntimeError):
    """The model's pipeline is not transformer + mean pooling (+ normalise), or the vectors
    computed here differ from the model's own."""


def length_buckets(lengths: list[int], batch_tokens: int, max_batch: int) -> list[list[int]]:
    """Positions grouped into batches, longest texts first: a batch grows while its padded size
    (texts x its longest text) stays within ``batch_tokens`` and it holds at most ``max_batch``
    texts; a text longer than the budget is a batch of its own."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for position in order:
        longest = lengths[current[0]] if current else lengths[position]
        if current and ((len(current) + 1) * longest > batch_tokens or len(current) >= max_batch):
            batches.append(current)
            current = []
        current.append(position)
    if current:
        batches.append(current)
    return batches


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' mean pooling over real tokens, then L2 normalisation."""
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden.astype(np.float32) * weights).sum(axis=1)
    pooled /= np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def check_pipeline(model) -> None:
    modules = list(model)
    names = [type(m).__name__ for m in modules]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise UnsupportedModelError(f"pipeline {names} is not transformer + pooling")
    if modules[1].get_config_dict().get("pooling_mode") != "mean":
        raise UnsupportedModelError("only mean pooling is exported")


class BucketedEncoder:
    """Tokenise, bucket by length, pad each batch to its longest text, run ``forward``, pool.

    ``workers`` > 1 runs that many batches at once (the forward must release the GIL and be
    safe to call concurrently, as an ONNX Runtime session and a PyTorch module in inference
    mode are)."""

    def __init__(self, model, batch_tokens: int, max_batch: int, workers: int = 1) -> None:
        check_pipeline(model)
        self.tokenizer = model.tokenizer
        self.max_length = int(model.max_seq_length)
        self.input_names = list(self.tokenizer.model_input_names)
        self.pad_id = int(self.tokenizer.pad_token_id or 0)
        self.batch_tokens = batch_tokens
        self.max_batch = max_batch
        self.workers = max(1, workers)

    def forward(self, inputs: dict[str, np.ndarray]) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def encode(
        self, texts: list[str], before_forward: Callable[[], None] | None = None
    ) -> np.ndarray:
        """Unit vectors (float32) for ``texts``, in their order. ``before_forward`` is called
        once, just before the first forward pass (which releases the GIL): from then on
        another thread can run Python without delaying this encode."""
        features = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)
        ids = features["input_ids"]
        out: np.ndarray | None = None
        batches = length_buckets([len(row) for row in ids], self.batch_tokens, self.max_batch)
        pending = [before_forward] if before_forward is not None else []

        def run(batch: list[int]) -> tuple[list[int], np.ndarray]:
            width = max(len(ids[i]) for i in batch)
            arrays = {name: np.zeros((len(batch), width), dtype=np.int64) for name in features}
            arrays["input_ids"][:] = self.pad_id
            for row, i in enumerate(batch):
                for name in features:
                    arrays[name][row, : len(ids[i])] = features[name][i]
            inputs = {name: arrays[name] for name in self.input_names}
            while pending:
                pending.pop()()
            return batch, mean_pool(self.forward(inputs), arrays["attention_mask"])

        if self.workers > 1 and len(batches) > 1:
            while pending:  # batches run side by side: before any of them
                pending.pop()()
            with ThreadPoolExecutor(self.workers, thread_name_prefix="encode") as pool:
                results = list(pool.map(run, batches))
        else:
            results = [run(batch) for batch in batches]
        for batch, vectors in results:
            if out is None:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[batch] = vectors
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)

    def check_against(self, model) -> None:
        """Raise unless this encoder's vectors match the model's own on the probes (short ones
        padded together, a long one truncated)."""
        expected = model.encode(PROBES, normalize_embeddings=True, convert_to_numpy=True)
        cosines = (self.encode(PROBES) * expected).sum(axis=1)
        if float(cosines.min()) < MIN_PROBE_COSINE:
            raise UnsupportedModelError(
                f"vectors differ from the model's own (cosine {cosines.min():.5f})"
            )


class OnnxEncoder(BucketedEncoder):
    """The transformer exported to ONNX and run by one ONNX Runtime session."""

    def __init__(
        self,
        model,
        model_path: Path,
        cache_dir: Path | None,
        threads: int,
        batch_tokens: int,
        max_batch: int,
        workers: int = 1,
    ) -> None:
        import onnxruntime as ort

        super().__init__(model, batch_tokens, max_batch, workers)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if workers > 1:  # batches in parallel: a waiting thread should sleep, not spin
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        graph = exported_graph(model, model_path, cache_dir)
        self.session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        self.check_against(model)

    def forward(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, inputs)[0]


class Bf16Encoder(BucketedEncoder):
    """The model's own transformer in PyTorch under bfloat16 autocast (fast where the CPU has
    bfloat16 matrix units, e.g. AMX; vectors within ``MIN_PROBE_COSINE`` of float32)."""

    def __init__(self, model, batch_tokens: int, max_batch: int, workers: int = 1) -> None:
        import torch

        if (
            not torch.backends.mkldnn.is_available()
            or not torch.ops.mkldnn._is_mkldnn_bf16_supported()
        ):
            raise UnsupportedModelError("this CPU has no bfloat16 support in oneDNN")
        super().__init__(model, batch_tokens, max_batch, workers)
        self.transformer = model[0].auto_model
        self.torch = torch
        self.check_against(model)

    def encode(
        self, texts: list[str], before_forward: Callable[[], None] | None = None
    ) -> np.ndarray:
        if self.workers == 1:
            return super().encode(texts, before_forward)
        # one PyTorch thread per concurrent batch (not ``workers`` x all cores)
        threads = self.torch.get_num_threads()
        self.torch.set_num_threads(1)
        try:
            return super().encode(texts, before_forward)
        finally:
            self.torch.set_num_threads(threads)

    def forward(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        torch = self.torch
        tensors = {name: torch.from_numpy(array) for name, array in inputs.items()}
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            hidden = self.transformer(**tensors).last_hidden_state
        return hidden.float().numpy()


# -- export ---------------------------------------------------------------------------------------
def exported_graph(model, model_path: Path, cache_dir: Path | None) -> bytes:
    """The transformer's ONNX graph, from ``cache_dir`` when an earlier start exported it."""
    path = cache_dir / f"query-encoder-{_key(model, model_path)}.onnx" if cache_dir else None
    if path is not None and path.exists():
        return path.read_bytes()
    graph = _export(model)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.partial")
            partial.write_bytes(graph)
            partial.replace(path)  # atomic: a concurrent start never reads half a file
        except OSError:
            pass  # a read-only data folder only costs the export on the next start
    return graph


def _key(model, model_path: Path) -> str:
    import torch

    transformer = model[0].auto_model
    weights = sorted(p for p in model_path.rglob("*") if p.suffix in (".safetensors", ".bin"))
    stamp = [f"{p.resolve()}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in weights]
    parts = [*stamp, type(transformer).__name__, torch.__version__, str(OPSET)]
    parts.append(str(sum(p.numel() for p in transformer.parameters())))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _export(model) -> bytes:
    import torch

    transformer = model[0].auto_model
    names = list(model.tokenizer.model_input_names)

    class Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *tensors):
            return self.transformer(**dict(zip(names, tensors, strict=True))).last_hidden_state

    sample = model.tokenizer(["a sample question"], return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
    buffer = io.BytesIO()
    # The tracer warns that shape checks become constants; the probe check (and the tests, with
    # padded batches and truncated long inputs) show the graph still fits.
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
