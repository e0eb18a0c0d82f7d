"""窗口办事人员 公示: the staff at an agency's service windows — name, unit, post (职务), window (窗口), the kinds of
enforcement they handle (执法种类), the services (服务事项), an optional photo kept in the object store — on duty or
not, every change kept as a version and audited; the public list and the printable 公示牌/胸牌.

May import: `core`, `storage` (the photo's object), `audit`, `catalog` (the kinds of enforcement), `officers` (the
汉语拼音 collation the lists are ordered by).
"""
