"""The officer register (行政执法人员资格清单): who may enforce, with which certificate, in which
categories and regions, from when to when, and the status history of each certificate; its sheet import.

May import: `core` (`core.sheets` reads the sheets), `audit.service`.
"""
