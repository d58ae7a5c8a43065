"""The web application in a real browser: Debian's headless Chromium driven by Selenium through
chromedriver, against `uvicorn` on loopback (packaging/install-system-deps.sh installs both).

What a clerk and an inspector do: search and open a PDF; fill a new 约谈通知书 with a mistake,
see the message beside the field, correct it; preview; issue with the number confirmed; see the
new deadline on /due. Screenshots of the main pages go to out/web-screenshots/.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

import websupport as site
from websupport import CLERK, PASSWORD, REPO, SAMPLE_DAY

SHOTS = REPO / "out" / "web-screenshots"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.fail("Chromium 和 chromedriver 未安装：请运行 packaging/install-system-deps.sh（make test 会运行）")
    from docgen.web.app import Config, create_app

    base = tmp_path_factory.mktemp("browser")
    s = site.build(base)
    server = site.Server(create_app(Config(root=s["root"], users=s["users"], today=dt.date.fromisoformat(SAMPLE_DAY))))
    driver = site.browser(base / "chromium-profile")
    driver.implicitly_wait(5)
    yield s, server, driver
    driver.quit()
    server.stop()


def by_css(driver, css):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css)


def all_css(driver, css):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, css)


def fill(driver, name: str, value: str):
    box = by_css(driver, f'[name="{name}"]')
    if box.tag_name == "select":
        from selenium.webdriver.support.ui import Select

        Select(box).select_by_value(value)
        return
    if box.get_attribute("type") in ("date", "datetime-local"):
        # a picker's typed keys depend on the locale; set the value the picker would
        driver.execute_script("arguments[0].value = arguments[1]", box, value)
        return
    box.clear()
    box.send_keys(value)


def follow(driver, element) -> None:
    """Click a link or button and wait for the page it loads (a click returns before that)."""
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    page = by_css(driver, "html")
    element.click()
    WebDriverWait(driver, 120).until(EC.staleness_of(page))


def loaded_images(driver) -> list[int]:
    """Natural widths of the page's images, once each has finished loading (0: broken)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 120).until(lambda d: d.execute_script(
        "return Array.from(document.images).every(i => i.complete)"))
    return driver.execute_script("return Array.from(document.images).map(i => i.naturalWidth)")


def test_inspector_searches_and_opens_the_pdf(live):
    s, server, driver = live
    driver.get(server.url + "/")
    site.screenshot(driver, SHOTS / "overview.png")
    box = by_css(driver, 'input[name="q"]')
    box.send_keys("约谈 城关镇")
    follow(driver, by_css(driver, "form button"))
    assert "共 " in by_css(driver, ".count").text
    marks = [m.text for m in all_css(driver, ".snippet mark")]
    assert "约谈" in marks and "城关镇" in marks
    site.screenshot(driver, SHOTS / "search.png")
    issued = s["items"]["issued"]
    link = next(a for a in all_css(driver, "a.title") if a.text == issued["title"])
    follow(driver, link)
    assert issued["number"] in by_css(driver, "table.kv").text
    widths = loaded_images(driver)
    assert len(widths) == issued["pages"] and all(w > 500 for w in widths)  # every page drawn
    site.screenshot(driver, SHOTS / "item.png")
    pdf_url = by_css(driver, "a.pdf-link").get_attribute("href")
    # what the link serves, fetched by the page itself (same cookies, same origin)
    head = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(r => r.arrayBuffer().then(b => done([r.status, r.headers.get('content-type'),
            String.fromCharCode(...new Uint8Array(b.slice(0, 5)))])));""", pdf_url)
    assert head == [200, "application/pdf", "%PDF-"]
    driver.get(pdf_url)  # Chromium opens it (its viewer, or a download in headless mode): no error page
    assert "找不到" not in driver.page_source and "无权" not in driver.page_source
    driver.get(server.url + "/cases/2021-yt-001")
    site.screenshot(driver, SHOTS / "case.png")
    for name, url in (("blacklist", "/blacklist"), ("catalog", "/catalog/2021")):
        driver.get(server.url + url)
        site.screenshot(driver, SHOTS / f"{name}.png")


def test_clerk_drafts_previews_issues_and_sees_the_deadline(live):
    s, server, driver = live
    driver.get(server.url + "/login?next=/cases")
    fill(driver, "name", CLERK)
    fill(driver, "password", PASSWORD)
    follow(driver, by_css(driver, "form.narrow button"))
    assert driver.current_url.endswith("/cases")
    follow(driver, by_css(driver, "a[href='/cases/new']"))
    for name, value in (("case_id", "2021-yt-041"), ("year", "2021"), ("title", "饶峰镇连续发生事故苗头约谈"),
                        ("kind", "约谈"), ("opened", "2021-11-20"), ("units", "饶峰镇人民政府")):
        fill(driver, name, value)
    follow(driver, by_css(driver, "button.primary"))
    assert "/cases/2021-yt-041" in driver.current_url
    follow(driver, by_css(driver, "a[href='/cases/2021-yt-041/new']"))
    follow(driver, next(a for a in all_css(driver, "ul.types a") if a.text == "约谈通知书"))
    values = {"title": "关于约谈饶峰镇人民政府的通知", "date": "2021-11-22", "interviewees": "张伟（饶峰镇人民政府镇长）",
              "clause": "（三）", "reason": "你镇辖区内一个月内连续发生两起生产安全事故苗头，暴露出隐患排查治理不到位。",
              "time": "2021-11-29T09:30", "place": "县应急管理局三楼会议室",
              "content": "事故苗头原因分析\n下一步整改措施和责任分工", "materials": "隐患排查整改情况书面汇报"}
    for name, value in values.items():
        fill(driver, name, value)
    # the mistake: 被约谈单位 left empty
    follow(driver, by_css(driver, "button.primary"))
    error = by_css(driver, "#f-unit .error")
    assert error.text == "缺少必填项「被约谈单位」"
    assert by_css(driver, '[name="title"]').get_attribute("value") == values["title"]  # nothing typed is lost
    site.screenshot(driver, SHOTS / "form-error.png")
    fill(driver, "unit", "饶峰镇人民政府")
    follow(driver, by_css(driver, "button.primary"))
    assert "/docs/summons/preview" in driver.current_url
    widths = loaded_images(driver)
    assert widths and all(w > 500 for w in widths)
    site.screenshot(driver, SHOTS / "preview.png")
    follow(driver, by_css(driver, "a[href$='/issue']"))
    number = by_css(driver, "td.number").text
    issued = [m["number"] for m in site.cli_json(s["root"], "archive", "list") if m["number"].startswith("石安委办〔2021〕")]
    assert number == f"石安委办〔2021〕{len(issued) + 1}号"
    site.screenshot(driver, SHOTS / "issue.png")
    follow(driver, by_css(driver, "form button.primary"))
    assert "/items/" in driver.current_url
    assert number in by_css(driver, "table.kv").text
    assert site.cli_json(s["root"], "archive", "verify")["ok"]
    driver.get(server.url + f"/due?on={SAMPLE_DAY}")
    row = next(r for r in all_css(driver, "table.due tbody tr") if "2021-yt-041" in r.text)
    assert "2021-12-14" in row.text and "还剩13天" in row.text  # 15 days after the interview of 11-29
    site.screenshot(driver, SHOTS / "due.png")
    driver.get(server.url + "/audit")
    audit = by_css(driver, "main").text
    assert "签发" in audit and number in audit and "记录链完整" in audit
    site.screenshot(driver, SHOTS / "audit.png")


def test_pages_fit_a_tablet(live):
    _, server, driver = live
    driver.set_window_size(768, 1024)
    try:
        for url in ("/", "/search?q=约谈", "/due", "/cases", "/cases/2021-yt-001", "/catalog/2021"):
            driver.get(server.url + url)
            overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (url, overflow)
        driver.get(server.url + "/")
        site.screenshot(driver, SHOTS / "tablet-overview.png")
    finally:
        driver.set_window_size(*site.SCREEN)
