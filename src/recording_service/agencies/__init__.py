"""Agency profiles (本单位信息): the full name, 统一社会信用代码, 行政区划, address, office hours and the bodies
that hear 复议 and 诉讼, which everything an agency publishes or exports names it by; and which agencies a
city hosts (its counties).

May import: `core`, `audit.service`. Other packages read profiles through `agencies.service`.
"""
