"""The synthetic sample, in the exact published layout (every number invented), faithful to the
structures the caveats describe (missing and collapsed force-quarters, revisions between releases).

May import: the foundation modules and ``data`` (the layout and code lists it writes).
"""
