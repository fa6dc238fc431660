"""The agent: one LangGraph state machine for chat, autonomous cycles and battle ticks."""
