"""Case-file review (案卷评查): the agency's review sheet applied to a case's timeline — the score, the
deductions and the findings behind them — and the reviewer's part: deductions and 评查意见 on the items a
reviewer judges, signed off by the reviewer, reopened only by an admin with a reason (`models.py`: the review
and its versions).

May import: `core`, `audit`, `catalog`, `cases` (models, service), `timeline.service`.
"""
