"""Graph nodes: route, snapshot, model, tools, record, respond (wired in `agent.graph`)."""
