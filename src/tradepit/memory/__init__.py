"""Memory: a point-in-time decision journal and vector memory (chromadb), offline by default.

- `service.Memory`: record decisions, resolve their outcomes (and write lessons), remember
  notes, recall (point-in-time, namespaced, recency-weighted), similar setups, forget;
  `Memory.open(settings)` builds it from the settings, `memory.scope(ns)` binds a namespace.
- `embeddings`: all-MiniLM-L6-v2 (int8 ONNX) offline, or provider embeddings via litellm.
- `namespaces`: `user:<id>`, `battle:<id>:<competitor>` (or `:shared`), `agent:<name>`.
- `situation.Situation`: a decision's situation as brief text and a numeric vector.
- `ablation`: each model with and without memory on the same windows, paired differences
  with bootstrap intervals (`tradepit memory ablation`).

The agent's side (journalling cycles, outcomes each tick, memories in the prompts) is
`tradepit.agent.memory`; the tools are `tradepit.tools.recall`; `bootstrap` wires a scope
into every turn (`deps.memory`).

Importing this package (and `service`) is cheap; chromadb is imported by `embeddings` and
`vector`, which `Memory` loads on first use of the vector index.
"""
