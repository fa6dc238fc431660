"""Graph paths with scripted fake models: tool call -> result -> answer, corrections of
malformed calls, aborts (model errors, budgets, bounded corrections) and what is recorded."""

from __future__ import annotations

import json

from tests.unit.agent.fakes import Scripted, World, call, turn

from tradepit.agent.budget import BudgetLimits
from tradepit.agent.errors import ModelOutputError, ModelUnavailableError
from tradepit.agent.service import Tick


def test_tool_call_result_answer(world: World):
    model = Scripted(
        turn("", call("echo", {"text": "hi", "times": 2})),
        lambda messages: turn(f"the tool said {json.loads(messages[-1]['content'])['text']}"),
    )
    reply = world.service(model).chat("s1", "say hi twice")
    assert reply.status == "answered"
    assert reply.text == "the tool said hi hi"
    second = model.requests[1]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "tool"]
    assert second[2]["tool_calls"][0]["function"]["name"] == "echo"
    assert second[3]["tool_call_id"] == "c1"
    assert [s["name"] for s in reply.steps] == ["echo"] and reply.steps[0]["ok"]
    assert {t["function"]["name"] for t in model.tools[0]} >= {"echo", "place_order"}


def test_every_model_call_is_recorded_with_tokens_cost_latency(world: World):
    model = Scripted(
        turn("", call("echo", {"text": "a"}), tokens=(1200, 30), cost=0.004),
        turn("done", tokens=(1300, 10), cost=0.005),
    )
    world.service(model).chat("s1", "go")
    calls = world.store.list_model_calls("chat-s1")
    assert [(c.cycle, c.seq) for c in calls] == [(1, 0), (1, 1)]
    first = calls[0]
    assert (first.input_tokens, first.output_tokens) == (1200, 30)
    assert float(first.cost_usd) == 0.004
    assert first.latency_s >= 0 and first.error is None
    assert first.request["messages"][1] == {"role": "user", "content": "go"}
    assert "echo" in first.request["tools"]
    assert first.response["tool_calls"][0]["name"] == "echo"
    assert world.store.model_call_totals("chat-s1")[0] == 2540


def test_malformed_arguments_go_back_as_validation_errors(world: World):
    model = Scripted(
        turn("", call("echo", '{"text": "x", "times": 9}')),
        turn("", call("echo", '{"text": "x", "times": 2', id="c2")),
        turn("", call("echo", {"text": "x", "times": 2}, id="c3")),
        turn("fixed"),
    )
    reply = world.service(model).chat("s1", "echo")
    assert reply.status == "answered" and reply.text == "fixed"
    errors = [json.loads(m["content"]) for m in model.requests[3] if m["role"] == "tool"]
    assert errors[0]["error"] == "ValidationError" and "times" in errors[0]["message"]
    assert errors[1]["error"] == "MalformedArgumentsError"
    assert errors[2] == {"text": "x x"}
    assert reply.usage["corrections"] == 2


def test_too_many_malformed_calls_abort_and_are_recorded(world: World):
    bad = [turn("", call("nope", {}, id=f"c{i}"), call("echo", {}, id=f"d{i}")) for i in range(3)]
    model = Scripted(*bad)
    service = world.service(model, limits=BudgetLimits(max_corrections=2))
    reply = service.chat("s1", "do it")
    assert reply.status == "aborted" and reply.error_type == "ModelOutputError"
    assert "malformed tool calls" in reply.text
    assert len(model.requests) == 2  # never asked again once over the limit
    [record] = world.store.list_decisions("chat-s1")
    assert record.decision.action == "abort"
    assert "ModelOutputError" in record.decision.rationale
    # the conversation stays valid: every tool call has a tool message
    state = service.graph.get_state({"configurable": {"thread_id": "chat:s1"}}).values
    asked = {c["id"] for m in state["messages"] for c in m.get("tool_calls") or ()}
    answered = {m["tool_call_id"] for m in state["messages"] if m["role"] == "tool"}
    assert asked == answered
    # the log shows the error of the call that aborted the turn (it showed null: no later
    # model request carried its result)
    from tradepit.battle.records import decision_log

    [entry] = decision_log(world.store, "chat-s1")
    last = entry["tool_calls"][-1]
    assert last["result"]["error"] in ("UnknownToolError", "ValidationError")


def test_model_unavailable_is_a_recorded_abort_never_a_hold(world: World):
    model = Scripted(ModelUnavailableError("429 after 4 attempts"))
    service = world.service(model, symbols=["SPX", "MSFT"])
    reply = service.cycle("run-x", Tick(cycle=0))
    assert reply.status == "aborted" and reply.error_type == "ModelUnavailableError"
    records = world.store.list_decisions("run-x")
    assert {r.decision.symbol: r.decision.action for r in records} == {
        "SPX": "abort",
        "MSFT": "abort",
    }
    assert all("429" in r.decision.rationale for r in records)
    [failed] = world.store.list_model_calls("run-x")
    assert failed.error_type == "ModelUnavailableError" and failed.response == {}


def test_empty_reply_is_an_output_error(world: World):
    reply = world.service(Scripted(turn(""))).cycle("run-e", Tick(cycle=0))
    assert reply.status == "aborted" and reply.error_type == "ModelOutputError"


def test_model_output_error_aborts(world: World):
    model = Scripted(turn("", call("echo", {"text": "a"})), ModelOutputError("garbled reply"))
    reply = world.service(model).chat("s1", "x")
    assert reply.status == "aborted" and "garbled reply" in reply.text
    [record] = world.store.list_decisions("chat-s1")
    assert record.payload["tool_calls"][0]["name"] == "echo"


def test_token_budget_per_cycle_aborts_fail_closed(world: World):
    model = Scripted(turn("", call("place_order", {"symbol": "SPX", "side": "buy", "qty": 1}),
                          tokens=(900, 200)))  # fmt: skip
    service = world.service(model, limits=BudgetLimits(max_tokens_per_cycle=1000))
    reply = service.cycle("run-b", Tick(cycle=0))
    assert reply.status == "aborted" and reply.error_type == "BudgetExceededError"
    assert "tokens per cycle" in reply.text
    assert world.broker.list_orders("all") == []  # the over-budget order was not placed
    assert world.store.list_decisions("run-b")[0].decision.action == "abort"


def test_dollar_budget_per_run_counts_recorded_calls(world: World):
    limits = BudgetLimits(max_usd_per_run=0.01)
    first = world.service(Scripted(turn("ok", cost=0.008)), limits=limits)
    assert first.cycle("run-d", Tick(cycle=0)).status == "answered"
    again = world.service(Scripted(turn("ok", cost=0.008)), limits=limits)  # a restart
    reply = again.cycle("run-d", Tick(cycle=1))
    assert reply.status == "aborted" and "dollars per run" in reply.text


def test_tool_rounds_per_turn_are_bounded(world: World):
    loop = [turn("", call("echo", {"text": str(i)}, id=f"c{i}")) for i in range(5)]
    service = world.service(Scripted(*loop), limits=BudgetLimits(max_tool_rounds=3))
    reply = service.chat("s1", "loop forever")
    assert reply.status == "aborted" and "tool rounds per turn" in reply.text
    assert len(reply.steps) == 3


def test_cycle_records_one_decision_per_symbol_from_what_the_tools_did(world: World):
    order = {"symbol": "SPX", "side": "buy", "qty": 1}
    model = Scripted(
        turn("", call("place_order", order)),
        turn("DECISION: SPX buy - trend up\nDECISION: MSFT buy - also up"),
    )
    service = world.service(model, symbols=["SPX", "MSFT"])
    reply = service.cycle("run-c", Tick(cycle=3))
    assert reply.status == "answered"
    first_prompt = model.requests[0][1]["content"]
    assert "Symbols: SPX, MSFT" in first_prompt
    records = {r.decision.symbol: r for r in world.store.list_decisions("run-c")}
    assert records["SPX"].decision.action == "buy"
    assert records["SPX"].decision.rationale == "trend up"
    # MSFT: the model claimed a buy but placed no order: recorded as the hold it was
    assert records["MSFT"].decision.action == "hold"
    assert records["MSFT"].payload["stated"]["MSFT"] == "buy"
    [placed] = records["SPX"].payload["orders"]
    assert placed["client_order_id"] == "run-c-3-SPX-buy"
    assert records["SPX"].payload["verdicts"][0]["approved"] is True


def test_unknown_symbol_in_snapshot_aborts_the_cycle(world: World):
    service = world.service(Scripted(), symbols=["NOPE"])
    reply = service.cycle("run-u", Tick(cycle=0))
    assert reply.status == "aborted" and reply.error_type == "UnknownSymbolError"
    assert world.store.list_decisions("run-u")[0].decision.action == "abort"


def test_finished_cycle_is_not_run_twice(world: World):
    model = Scripted(turn("DECISION: SPX hold - flat"))
    service = world.service(model, symbols=["SPX"])
    first = service.cycle("run-r", Tick(cycle=0))
    again = service.cycle("run-r", Tick(cycle=0))
    assert again.text == first.text and len(model.requests) == 1
    assert len(world.store.list_decisions("run-r")) == 1


def test_deps_never_reach_the_checkpoint(world: World):
    from langgraph.checkpoint.memory import InMemorySaver

    saver = InMemorySaver()
    model = Scripted(turn("", call("clock", {})), turn("ok"))
    service = world.service(model, checkpointer=saver)
    service.chat("s1", "time?")
    saved = saver.get_tuple({"configurable": {"thread_id": "chat:s1"}}).checkpoint
    json.dumps(saved["channel_values"])  # plain JSON: no broker, clock or backend inside
    tool_result = json.loads(model.requests[1][-1]["content"])
    assert tool_result == {"now": "2018-06-01T15:00:00+00:00", "run": "chat-s1", "cycle": 1}
    fields = {k for t in model.tools[0] for k in t["function"]["parameters"]["properties"]}
    assert fields.isdisjoint({"deps", "broker", "clock", "store", "gate", "budget", "market"})


def _steps(service, thread: str) -> int:
    """Supersteps of the thread's run: LangGraph numbers the input -1 and the supersteps from
    0; the final checkpoint has the number of the step that found nothing left to run."""
    return service.graph.get_state({"configurable": {"thread_id": thread}}).metadata["step"]


def test_a_cycle_runs_in_five_supersteps_and_chat_keeps_route_and_respond(world: World):
    """snapshot, model, tools, model, record: cycles skip the chat-only route and respond
    steps (each superstep costs LangGraph's bookkeeping) and still answer the same."""
    cycle = world.service(
        Scripted(turn("", call("echo", {"text": "a"})), turn("DECISION: SPX hold - flat")),
        symbols=["SPX"],
    )
    reply = cycle.cycle("run-s", Tick(cycle=0))
    assert reply.status == "answered" and reply.text == "DECISION: SPX hold - flat"
    assert _steps(cycle, "run:run-s:0") == 5
    assert reply.usage["calls"] == 2 and [s["name"] for s in reply.steps] == ["echo"]
    chat = world.service(Scripted(turn("", call("echo", {"text": "a"})), turn("done")))
    assert chat.chat("s1", "echo a").text == "done"
    assert _steps(chat, "chat:s1") == 6  # route and respond too


def test_an_aborted_cycle_answers_why_from_the_record_step(world: World):
    service = world.service(Scripted(), symbols=["NOPE"])
    reply = service.cycle("run-a", Tick(cycle=0))
    assert reply.text.startswith("Stopped without finishing: UnknownSymbolError")
    assert _steps(service, "run:run-a:0") == 2  # snapshot, record
    assert reply.usage == {"calls": 0, "tokens": 0, "usd": 0.0, "rounds": 0, "corrections": 0}


def test_a_cycle_saved_before_route_by_an_older_graph_resumes_at_its_snapshot(world: World):
    """Older graphs started every turn at route: such a checkpoint still runs the cycle."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import END, START, StateGraph

    from tradepit.agent.state import AgentContext, AgentState

    saver = InMemorySaver()
    older = StateGraph(AgentState, context_schema=AgentContext)
    older.add_node("route", lambda state: {})
    older.add_edge(START, "route")
    older.add_edge("route", END)
    config = {"configurable": {"thread_id": "run:run-o:0"}}
    start = {"mode": "cycle", "cycle": 0, "tick": "2018-06-01T15:00:00+00:00", "fills": []}
    older.compile(checkpointer=saver, interrupt_before=["route"]).invoke(start, config)
    model = Scripted(turn("DECISION: SPX hold - flat"))
    service = world.service(model, symbols=["SPX"], checkpointer=saver)
    assert service.graph.get_state(config).next == ("route",)
    reply = service.cycle("run-o", Tick(cycle=0))
    assert reply.status == "answered" and reply.text == "DECISION: SPX hold - flat"
    assert "Symbols: SPX" in model.requests[0][1]["content"]  # the snapshot's prompt
    assert [r.decision.action for r in world.store.list_decisions("run-o")] == ["hold"]


def test_different_orders_of_one_symbol_and_side_in_a_turn_are_all_sent(world: World):
    """A second, different buy of MSFT in one turn took the first one's client_order_id
    and came back as a "duplicate"; a true repeat still is one."""
    one = {"symbol": "MSFT", "side": "buy", "qty": 1}
    two = {"symbol": "msft", "side": "buy", "qty": 2}
    model = Scripted(
        turn("", call("place_order", one, id="a"), call("place_order", two, id="b")),
        turn("", call("place_order", {**one, "symbol": "msft"}, id="c")),
        turn("done"),
    )
    reply = world.service(model, symbols=["MSFT"]).cycle("run-two", Tick(cycle=0))
    assert [s["output"]["outcome"] for s in reply.steps] == ["submitted", "submitted", "duplicate"]
    ids = [s["order"]["client_order_id"] for s in reply.steps]
    assert ids == ["run-two-0-MSFT-buy", "run-two-0-MSFT-buy2", "run-two-0-MSFT-buy"]
    placed = world.broker.list_orders("all")
    assert sorted(float(o.qty) for o in placed if o.parent_id is None) == [1.0, 2.0]


def test_turn_orders_rebuilt_from_steps_give_the_same_legs():
    """A re-run turn (restart, approval resume) maps its orders to the ids they had."""
    from tradepit.tools._orders import OrderArgs
    from tradepit.tools._turn_orders import TurnOrders

    one = OrderArgs(symbol="SPX", side="buy", qty=1)
    two = OrderArgs(symbol="SPX", side="buy", qty=2, type="limit", limit_price=4000)
    live = TurnOrders()
    legs = []
    for args in (one, two):
        legs.append(live.leg("SPX", args))
        live.sent("SPX", args)
    steps = [
        {"name": "place_order", "arguments": a.model_dump_json(), "order": {"symbol": "SPX"}}
        for a in (one, two)
    ] + [{"name": "place_order", "arguments": '{"symbol": "SPX"}', "order": None}]
    rebuilt = TurnOrders.of(steps)
    assert legs == ["buy", "buy2"]
    assert [rebuilt.leg("SPX", a) for a in (one, two)] == legs
    assert rebuilt.leg("SPX", OrderArgs(symbol="SPX", side="buy", qty=3)) == "buy3"
    assert rebuilt.leg("SPX", OrderArgs(symbol="SPX", side="sell", qty=3)) == "sell"
