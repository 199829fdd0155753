"""Trace one sample's graph once and replay it over a whole batch with numpy."""
