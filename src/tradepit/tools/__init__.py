"""Typed tools the agent uses to reach the world: one module per tool.

`tradepit.tools.registry` lists them (`default_tools`), emits their schemas and executes
tool calls. Dependencies arrive through `AgentDeps`, never through a model-facing schema.
"""
