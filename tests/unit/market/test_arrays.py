import numpy as np
import pandas as pd
import pytest

from tradepit.market.arrays import float_columns
from tradepit.market.bundled import load_bundled


def test_columns_of_a_feed_frame_are_read_only_views_with_the_frame_values() -> None:
    bars = load_bundled("SPX").iloc[100:400]
    o, h, low, c = float_columns(bars)
    for name, array in zip(("open", "high", "low", "close"), (o, h, low, c), strict=True):
        np.testing.assert_array_equal(array, bars[name].to_numpy())
        assert array.dtype == np.float64 and array.flags.c_contiguous
        assert not array.flags.writeable  # a strategy cannot write into the feed's data
    (close,) = float_columns(bars, ("close",))
    np.testing.assert_array_equal(close, c)


def test_mixed_columns_are_converted_one_by_one() -> None:
    bars = pd.DataFrame({"close": [1, 2, 3], "symbol": ["A", "A", "A"], "high": [1.5, 2.5, 3.5]})
    close, high = float_columns(bars, ("close", "high"))
    assert close.dtype == np.float64 and close.tolist() == [1.0, 2.0, 3.0]
    assert high.tolist() == [1.5, 2.5, 3.5]
    with pytest.raises(KeyError):
        float_columns(bars, ("open",))
    with pytest.raises(KeyError):
        float_columns(load_bundled("SPX").iloc[:5], ("vwap",))
