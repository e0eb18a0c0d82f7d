"""Where the stores keep an upload's bytes: the keys a test looks at or damages."""


def storage_key(leg, upload_id: str) -> str:
    matches = [p for p in stored_keys(leg) if p.endswith(upload_id)]
    assert len(matches) == 1, matches
    return matches[0]


def stored_keys(leg) -> list[str]:
    if leg.seaweed is not None:
        pages = leg.seaweed.client().get_paginator("list_objects_v2").paginate(Bucket=leg.bucket, Prefix="rs/evidence/")
        return [item["Key"][len("rs/") :] for page in pages for item in page.get("Contents", [])]
    root = leg.workdir / "objects"
    return [str(p.relative_to(root)) for p in (root / "evidence").rglob("*") if p.is_file() and not p.name.endswith(".json")]
