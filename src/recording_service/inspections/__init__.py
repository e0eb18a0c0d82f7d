"""双随机、一公开: the 检查对象名录库 and its versions, 回避, 抽查计划, the verifiable draw of subjects and inspectors
(`draw.py`: algorithm rs-draw-v1, commit–reveal, pure functions `draws verify` runs again), tasks and their
adjustments, results and their publication (抽查结果公示), exports and statistics.

May import: `core`, `audit.service`, `catalog` (the 随机抽查事项清单), `officers.service` (who is certified on the draw
day), `cases.service` (a result's cases), `publication.service` (a filed case's published penalty), `agencies`
(检查机关 by the agency's profile), `workdays.service` (the 20 working days to publish).
"""
