"""Every query parameter a page takes has a Chinese label in the message catalogue, so a refused query names the
field as people read it ("页码：不能小于 1"), never "某一项" or the parameter's English name."""

from fastapi.routing import APIRoute

from recording_service.core.messages import messages

from ..support.inprocess import create_person, signed_in_client


def _routes(routes):
    for route in routes:
        if hasattr(route, "original_router"):  # an included router (FastAPI keeps its routes there)
            yield from _routes(route.original_router.routes)
        else:
            yield route


def _query_params(dependant):
    yield from dependant.query_params
    for sub in dependant.dependencies:
        yield from _query_params(sub)


def test_every_page_query_parameter_has_a_chinese_label(inproc):
    labels = messages().fields["page"]
    pages = [r for r in _routes(inproc.app.routes) if isinstance(r, APIRoute) and r.endpoint.__module__.startswith("recording_service.web")]
    assert len(pages) > 40
    unlabelled = {
        (param.alias or param.name, route.path)
        for route in pages
        for param in _query_params(route.dependant)
        if (param.alias or param.name) not in labels
    }
    assert not unlabelled, sorted(unlabelled)


def test_a_refused_page_query_names_its_field_in_chinese(inproc):
    create_person(inproc, "labels1", "auditor", "LBL1", "标签检查")
    with signed_in_client(inproc, "labels1") as browser:
        refused = browser.get("/audit", params={"page": 0})
        assert refused.status_code == 422 and "页码：不能小于 1" in refused.text and "某一项" not in refused.text
