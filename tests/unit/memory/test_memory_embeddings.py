"""Offline embeddings: agreement with the float32 model, invariants, chunking, config switch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tradepit.config import Settings
from tradepit.memory.embeddings import (
    DIM,
    LiteLLMEmbeddingFunction,
    LocalEmbeddingFunction,
    PrecomputedOnly,
    embedding_function,
)

REFERENCES = Path(__file__).with_name("data") / "reference_embeddings.json"
DAYS = 50
LONG = " ".join(
    f"Day {i}: the index closed {'higher' if i % 2 else 'lower'} on light volume."
    for i in range(DAYS)
)


def test_agrees_with_the_float32_model(embedding: LocalEmbeddingFunction):
    """References were computed once from the original weights (scripts/build_tokenizer.py);
    the int8 ONNX model must point the same way."""
    refs = json.loads(REFERENCES.read_text())["references"]
    got = embedding.embed([r["text"] for r in refs])
    cosines = [float(np.dot(np.asarray(r["embedding"]), g)) for r, g in zip(refs, got, strict=True)]
    assert min(cosines) >= 0.995, cosines


def test_vectors_are_unit_length_and_deterministic(embedding: LocalEmbeddingFunction):
    texts = ["buy MSFT on the breakout", "x", "Sold everything before the Fed meeting."]
    first, second = embedding.embed(texts), embedding.embed(list(reversed(texts)))[::-1]
    assert first.shape == (3, DIM) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(first, second, atol=1e-5)  # batching and order do not matter


def test_similar_texts_are_closer_than_unrelated_ones(embedding: LocalEmbeddingFunction):
    a, b, c = embedding.embed(
        [
            "Never hold more than three technology stocks.",
            "Do not own over 3 tech shares at once.",
            "The soup needs more salt and pepper.",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.3


def test_long_texts_are_chunked_not_truncated(embedding: LocalEmbeddingFunction):
    assert embedding.count_tokens(LONG) > 2 * embedding.max_tokens
    chunks = embedding.chunks(LONG)
    assert len(chunks) >= 3
    assert all(embedding.count_tokens(c) <= embedding.max_tokens for c in chunks)
    covered = " ".join(chunks)
    assert all(f"Day {i}:" in covered for i in range(DAYS))  # nothing dropped
    assert chunks[0].startswith("Day 0:") and chunks[-1].endswith("light volume.")
    with pytest.raises(ValueError, match="chunk it first"):
        embedding.embed([LONG])


def test_a_long_query_is_the_mean_of_its_chunks(embedding: LocalEmbeddingFunction):
    (whole,) = embedding([LONG])
    parts = embedding.embed(embedding.chunks(LONG))
    mean = parts.mean(axis=0)
    np.testing.assert_allclose(whole, mean / np.linalg.norm(mean), atol=1e-5)


def test_a_single_overlong_word_is_split_too(embedding: LocalEmbeddingFunction):
    word = "ab" * 700
    chunks = embedding.chunks(f"hash {word} end")
    assert "".join(chunks).replace(" ", "") == f"hash{word}end"
    assert all(embedding.count_tokens(c) <= embedding.max_tokens for c in chunks)


def test_configuration_selects_the_provider():
    local = embedding_function(Settings(_env_file=None))
    assert isinstance(local, LocalEmbeddingFunction)
    remote = embedding_function(
        Settings(_env_file=None, memory_embedding="openai/text-embedding-3-small")
    )
    assert isinstance(remote, LiteLLMEmbeddingFunction)
    assert remote.model_id == "litellm:openai/text-embedding-3-small"
    config = remote.get_config()
    assert "api_key" not in config  # secrets never go into chromadb's stored config
    assert LiteLLMEmbeddingFunction.build_from_config(config).model == remote.model


def test_provider_chunks_by_characters():
    ef = LiteLLMEmbeddingFunction("openai/text-embedding-3-small", max_chars=50)
    text = "word " * 40
    chunks = ef.chunks(text)
    assert all(len(c) <= 50 for c in chunks)
    assert " ".join(chunks).split() == text.split()


def test_precomputed_collections_never_embed():
    with pytest.raises(TypeError, match="precomputed"):
        PrecomputedOnly()(["text"])
