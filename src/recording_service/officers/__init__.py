"""The officer register (行政执法人员资格清单): who may enforce, with which certificate, in which
categories and regions, from when to when, and the status history of each certificate; its sheet import; the
lists in 汉语拼音 order (`collation.py`); officer numbers turned into names for the pages and files that show them.

May import: `core` (`core.sheets` reads the sheets), `audit.service`, `core.messages` (the words people read).
"""
