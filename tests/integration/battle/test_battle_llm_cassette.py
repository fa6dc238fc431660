"""A battle mixing built-in models with an LLM competitor (gpt-4o-mini through litellm),
its provider replies played from a hand-written cassette in OpenAI's wire format; then the
battle replayed offline from the recorded turns to the identical leaderboard."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.integration.agent.cassettes import recorder
from tests.integration.battle.models import small_config

from tradepit.battle import replay_battle, run_battle
from tradepit.battle.records import decision_log
from tradepit.config import Settings

VCR = recorder()
CASSETTE = str(Path(__file__).parent / "cassettes" / "battle_openai.yaml")
TOKENS = (1500 + 1650 + 1520 + 1530 + 1640, 40 + 55 + 30 + 25 + 50)
PRICES = (0.15e-6, 0.6e-6)  # gpt-4o-mini per token, litellm's bundled cost map


def test_battle_with_a_recorded_llm_competitor(store, tmp_path):
    settings = Settings(
        home=tmp_path, openai_api_key="sk-test-not-real", llm_max_attempts=1, _env_file=None
    )
    config = small_config(
        models=("rules:supertrend", "gpt-4o-mini", "rules:buy_and_hold"),
        start=datetime(2017, 10, 2, tzinfo=UTC), end=datetime(2017, 10, 5, tzinfo=UTC),
        concurrency="threads", rpm=6000,
    )  # fmt: skip
    with VCR.use_cassette(CASSETTE) as cassette:
        board = run_battle(config, store, run_id="llm", settings=settings)
        assert cassette.all_played
    [sample] = board.samples
    assert sample.ticks == 3
    llm = next(s for s in sample.scores if s.name == "gpt-4o-mini")
    assert (llm.tokens_in, llm.tokens_out) == TOKENS
    assert llm.cost_usd == pytest.approx(TOKENS[0] * PRICES[0] + TOKENS[1] * PRICES[1])
    assert llm.net_return_pct == pytest.approx(
        100 * ((llm.end_equity - llm.cost_usd) / 100_000 - 1)
    )
    assert llm.status == "ok" and llm.model_calls == 5 and llm.fills == 1
    log = decision_log(store, "llm.s1.c1")
    actions = [{d["symbol"]: d["action"] for d in e["decisions"]} for e in log]
    assert actions == [
        {"SPX": "hold", "MSFT": "buy"},
        {"SPX": "hold", "MSFT": "hold"},
        {"SPX": "hold", "MSFT": "close"},
    ]
    buy = log[0]["tool_calls"][0]
    assert buy["name"] == "place_order" and buy["result"]["outcome"] == "submitted"
    assert "rising MACD" in log[0]["decisions"][1]["rationale"]
    assert [s.status for s in sample.scores] == ["ok"] * 3
    # offline, no cassette: the recorded turns replay to the identical leaderboard
    result = replay_battle(store, "llm", settings=settings)
    assert result.identical, result.differences
