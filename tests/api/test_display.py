"""适老化 without a script: /display sets or clears the cookie and goes back to the page (never to another site), and
every page is drawn in the large reading while the cookie says so."""


def test_the_large_reading_is_a_cookie_the_pages_draw_from(inproc):
    with inproc.client() as browser:
        plain = browser.get("/public/procedures")
        assert plain.status_code == 200 and '<html lang="zh-CN">' in plain.text
        assert 'aria-pressed="false"' in plain.text and "/display?large=1&amp;next=%2Fpublic%2Fprocedures" in plain.text
        assert "Cookie" in plain.headers["vary"]

        turned = browser.get("/display", params={"large": 1, "next": "/public/matters?category=license"})
        assert turned.status_code == 303 and turned.headers["location"] == "/public/matters?category=license"
        assert "rs_display=large" in turned.headers["set-cookie"] and "httponly" not in turned.headers["set-cookie"].lower()
        large = browser.get("/public/procedures")
        assert '<html lang="zh-CN" class="large-text">' in large.text and 'aria-pressed="true"' in large.text
        assert "/display?large=0" in large.text
        assert 'class="large-text"' in browser.get("/login").text  # the staff's pages too

        off = browser.get("/display", params={"large": 0, "next": "/login"})
        assert off.status_code == 303 and off.headers["location"] == "/login"
        assert 'class="large-text"' not in browser.get("/public/procedures").text

        for elsewhere in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
            sent = browser.get("/display", params={"next": elsewhere})
            assert sent.status_code == 303 and sent.headers["location"] == "/public/publications", elsewhere
        refused = browser.get("/display", params={"large": 1, "size": "big"})
        assert refused.status_code == 400 and "不认识的查询条件：size" in refused.text
        assert browser.get("/display", params={"large": 2}).status_code == 422
