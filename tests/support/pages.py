"""Reading what the pages and drawings say."""

import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(body: bytes) -> list[str]:
    return [t.text or "" for t in ET.fromstring(body).iter(f"{SVG}text")]
