"""The synthetic sample, in the exact published layout (every number invented)."""
