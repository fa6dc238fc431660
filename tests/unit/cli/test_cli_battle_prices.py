"""`battle show` prints recorded prices to their tick, not with float noise."""

from __future__ import annotations

import pytest

from tradepit.cli_battle import _price


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        ("60.2630000000000050", "60.26"),
        ("5317.7402340", "5317.74"),
        ("1267.0300290", "1267.03"),
        ("100.5", "100.50"),
        (23.195, "23.20"),
        ("0.12345678", "0.1235"),
        ("0.5000000", "0.5"),
        (None, "None"),
        ("n/a", "n/a"),
    ],
)
def test_prices_are_shown_to_their_tick(recorded, shown):
    assert _price(recorded) == shown
