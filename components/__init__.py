"""Component resources and the pure builders behind them."""
