"""Fupin (扶贫): targeted poverty-alleviation platform."""
