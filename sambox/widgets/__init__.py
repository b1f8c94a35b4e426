"""Qt widgets: they draw and emit signals; they never call the model (no torch here)."""
