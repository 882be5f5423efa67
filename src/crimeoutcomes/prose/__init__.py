"""The sentences of the reports: the key findings each notebook opens with (``findings``) and the
index page's headlines (``headlines``), both from the same figures, so that a page and
summary.json never say two things; a question's words (``question_words``) and why a report or
section belongs to some questions only (``sections``).

May import: the foundation modules, ``data``, ``stats`` and ``reconciliation``.
"""
