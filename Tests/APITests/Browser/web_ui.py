# The web UI in a real browser (Debian's chromium, headless, driven by Selenium), run by WebUIBrowserTests.
# Prints one JSON report on its last line; exits 1 when any check failed (each failure is named in "problems").
import json, os, re, struct, sys, time, zlib
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from axe_selenium_python import Axe
import openpyxl

config = json.loads(sys.argv[1])
base, artifacts = config["base"], config["artifacts"]
os.makedirs(artifacts, exist_ok=True)
problems, report = [], {"timings": {}, "axe": {}, "screenshots": 0}


def check(condition, what):
    if not condition:
        problems.append(what)
    return condition


options = Options()
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=en-US"]:
    options.add_argument(argument)
options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
options.binary_location = "/usr/bin/chromium"
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(30)
wait = WebDriverWait(driver, 20)


def body(name):
    return driver.find_element(By.TAG_NAME, "body").get_attribute("data-" + name)


def until(condition, what, timeout=20):
    try:
        WebDriverWait(driver, timeout).until(lambda d: condition())
        return True
    except TimeoutException:
        problems.append("timed out: " + what + " at " + driver.current_url)
        return False


def page(path, ready=None):
    driver.get(base + path)
    until(lambda: body("page") is not None, "page " + path)
    if ready:
        until(lambda: body(ready) is not None, ready + " on " + path)


def text():
    return driver.find_element(By.TAG_NAME, "main").text


def axe(name):
    scanner = Axe(driver)
    scanner.inject()
    results = scanner.run(options={"resultTypes": ["violations"]})
    bad = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    report["axe"][name] = [v["id"] for v in bad]
    check(not bad, "axe %s: %s" % (name, [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in bad]))


def shot(name):
    driver.save_screenshot(os.path.join(artifacts, name + ".png"))
    report["screenshots"] += 1


def set_theme(theme):
    Select(driver.find_element(By.ID, "theme")).select_by_value(theme)
    until(lambda: driver.execute_script("return document.documentElement.dataset.theme") == theme, "theme " + theme)


def timing(name):
    # Navigation Timing of the last full load: bytes over the wire (document + every resource) and the time until the
    # page's own "ready" mark (its data rendered) from the start of the navigation.
    figures = driver.execute_script("""
        const nav = performance.getEntriesByType("navigation")[0];
        const resources = performance.getEntriesByType("resource");
        const ready = performance.getEntriesByType("mark").filter((m) => m.name.startsWith("page-ready"))[0];
        return {transfer: nav.transferSize + resources.reduce((s, r) => s + r.transferSize, 0),
                decoded: nav.decodedBodySize + resources.reduce((s, r) => s + r.decodedBodySize, 0),
                interactive: nav.domInteractive, ready: ready ? ready.startTime : null, resources: resources.length};""")
    report["timings"][name] = figures
    check(figures["transfer"] <= 200 * 1024, "%s transferred %d bytes (> 200 KB)" % (name, figures["transfer"]))
    check(figures["ready"] is not None and figures["ready"] <= 1000, "%s ready after %s ms (> 1 s)" % (name, figures["ready"]))


def sign_in(login, password, expect_path="/"):
    until(lambda: body("page") == "/sign-in", "the sign-in page")
    driver.find_element(By.ID, "login").clear()
    driver.find_element(By.ID, "login").send_keys(login)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "sign-in").click()
    until(lambda: body("page") == expect_path and driver.find_elements(By.ID, "me"), "signed in as " + login)


def png(width, height):
    rows = b"".join(b"\x00" + bytes([(x * 255) // width if (x // 40 + y // 40) % 2 else 40 for x in range(width) for _ in range(3)]) for y in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def workbook(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["login", "inn", "month", "nmId"])
    for row in rows:
        sheet.append(row)
    book.save(path)


try:
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})

    # Signed out: every page sends the browser to the sign-in, which returns there afterwards.
    driver.get(base + "/backups")
    until(lambda: body("page") == "/sign-in", "redirect to the sign-in")
    check("next=%2Fbackups" in driver.current_url, "the sign-in keeps the page asked for: " + driver.current_url)
    timing("sign-in")
    axe("sign-in light")
    driver.find_element(By.ID, "login").send_keys(config["admin"])
    driver.find_element(By.ID, "password").send_keys("wrong-password-1")
    driver.find_element(By.ID, "sign-in").click()
    until(lambda: driver.find_element(By.ID, "sign-in-error").text != "", "the wrong-password message")
    check(driver.find_element(By.ID, "sign-in-error").text == "The login or password is wrong.", "wrong password: " + driver.find_element(By.ID, "sign-in-error").text)
    # Too many wrong passwords for one login: the API's limit and its wait, in the page's words.
    limited = ""
    for attempt in range(8):
        driver.find_element(By.ID, "login").clear()
        driver.find_element(By.ID, "login").send_keys("locked-out")
        driver.find_element(By.ID, "password").clear()
        driver.find_element(By.ID, "password").send_keys("wrong-password-%d" % attempt)
        driver.execute_script("document.getElementById('sign-in-error').textContent = ''")
        driver.find_element(By.ID, "sign-in").click()
        until(lambda: driver.find_element(By.ID, "sign-in-error").text != "", "a sign-in answer")
        limited = driver.find_element(By.ID, "sign-in-error").text
        if limited.startswith("Too many attempts"):
            break
    check(re.fullmatch(r"Too many attempts\. Try again in \d+ s\.", limited) is not None, "the rate-limit message: " + limited)
    report["rateLimited"] = limited
    driver.find_element(By.ID, "login").clear()
    driver.find_element(By.ID, "password").clear()
    sign_in(config["admin"], config["adminPassword"], "/backups")
    report["adminLanded"] = driver.current_url

    # The access token lives API_ACCESS_TTL (3 s here): the dashboard keeps refreshing across several of them.
    page("/fleet", "fleet")
    first = driver.find_element(By.ID, "fleet-status").text
    time.sleep(8)
    check(body("page") == "/fleet", "the dashboard was left after the access token expired: " + driver.current_url)
    check(driver.find_element(By.ID, "fleet-status").text not in ("", first) and "Updated" in driver.find_element(By.ID, "fleet-status").text,
          "the dashboard stopped updating across an expired access token: " + driver.find_element(By.ID, "fleet-status").text)
    check(config["deadQueue"] in text(), "the dashboard lists the queue " + config["deadQueue"])

    # Every page in both themes and both languages: axe-core, screenshots, Navigation Timing.
    pages = [("home", "/", None), ("fleet", "/fleet", "fleet"), ("dead", "/fleet/dead", "dead"), ("job", "/fleet/jobs/" + config["deadJob"], "job"),
             ("backups", "/backups", "backups"), ("assignments", "/assignments", "assignments"), ("kpi", "/kpi", "kpi"), ("users", "/users", "users"),
             ("accounts", "/accounts", "accounts"), ("profile", "/profile", "profile")]
    for language in ["en", "ru"]:
        for theme in ["light", "dark"]:
            page("/")
            if driver.execute_script("return document.documentElement.lang") != language:
                driver.find_element(By.ID, "language").click()
                until(lambda: driver.execute_script("return document.documentElement.lang") == language, "language " + language)
            set_theme(theme)
            for name, path, ready in pages:
                page(path, ready)
                if language == "en" and theme == "light":
                    timing(name)
                if language == "en":
                    axe("%s %s" % (name, theme))
                shot("%s-%s-%s" % (name, theme, language))
    set_theme("system")

    # Theme and language are remembered across a reload.
    page("/")
    if driver.execute_script("return document.documentElement.lang") != "en":
        driver.find_element(By.ID, "language").click()
    set_theme("dark")
    driver.refresh()
    until(lambda: body("page") == "/", "reload")
    check(driver.execute_script("return document.documentElement.dataset.theme") == "dark", "the dark theme is remembered")
    check(Select(driver.find_element(By.ID, "theme")).first_selected_option.get_attribute("value") == "dark", "the theme switch shows dark")
    check(driver.execute_script("return getComputedStyle(document.body).backgroundColor") == "rgb(18, 20, 23)", "dark background: " + driver.execute_script("return getComputedStyle(document.body).backgroundColor"))
    driver.find_element(By.ID, "language").click()
    until(lambda: driver.execute_script("return document.documentElement.lang") == "ru", "switch to Russian")
    driver.refresh()
    until(lambda: body("page") == "/", "reload")
    check(driver.execute_script("return document.documentElement.lang") == "ru", "Russian is remembered")
    check("Очереди" in driver.find_element(By.ID, "top").text, "the menu is in Russian: " + driver.find_element(By.ID, "top").text)
    driver.find_element(By.ID, "language").click()
    set_theme("light")

    # Both dictionaries hold the same keys.
    keys = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        import("/assets/" + document.body.dataset.version + "/messages.js").then((m) => done({en: Object.keys(m.messages.en), ru: Object.keys(m.messages.ru)}));""")
    check(set(keys["en"]) == set(keys["ru"]), "keys only in one language: %s" % sorted(set(keys["en"]) ^ set(keys["ru"])))
    report["messages"] = len(keys["en"])

    # A dead letter found by its payload text, retried.
    page("/fleet/dead", "dead")
    search = driver.find_element(By.ID, "dead-search")
    search.send_keys(config["needle"])
    until(lambda: "1 of" in driver.find_element(By.ID, "dead-summary").text, "the search finds one dead letter")
    rows = driver.find_elements(By.CSS_SELECTOR, "#dead-list tbody tr")
    check(len(rows) == 1 and config["deadJob"] in rows[0].text, "the found row is the dead job")
    # Find: the same letter found by the server's search over every letter in Redis.
    driver.find_element(By.CSS_SELECTOR, "form[role=search] button[type=submit]").click()
    until(lambda: body("dead-search") == "1" and "Searched all" in driver.find_element(By.ID, "dead-summary").text, "the server search finds it")
    rows = driver.find_elements(By.CSS_SELECTOR, "#dead-list tbody tr")
    check(len(rows) == 1 and config["deadJob"] in rows[0].text, "the server search's row is the dead job")
    driver.find_element(By.CSS_SELECTOR, "#dead-list tbody tr button.secondary").click()
    until(lambda: "0 of" in driver.find_element(By.ID, "dead-summary").text, "the retried letter leaves the list")
    report["retried"] = config["deadJob"]

    # Back up now: the bar reaches 100 % and the history gains the row.
    page("/backups", "backups")
    before = len(driver.find_elements(By.CSS_SELECTOR, "#backup-history tbody tr"))
    driver.find_element(By.ID, "backup-now").click()
    seen = set()
    deadline = time.time() + 60
    while time.time() < deadline and body("backup") not in ("done", "failed"):
        seen.add(driver.find_element(By.ID, "backup-bar").get_attribute("value"))
        time.sleep(0.1)
    check(body("backup") == "done", "the backup finished: %s %s" % (body("backup"), driver.find_element(By.ID, "backup-message").text))
    check(driver.find_element(By.ID, "backup-bar").get_attribute("value") == "100", "the bar reached 100 %")
    check(driver.find_element(By.ID, "backup-percent").text == "100 %", "100 % is written")
    rows = driver.find_elements(By.CSS_SELECTOR, "#backup-history tbody tr")
    check(len(rows) == before + 1 and "succeeded" in rows[0].text, "the history shows the new backup: " + " | ".join(r.text for r in rows))
    report["backupRow"] = rows[0].text if rows else ""
    shot("backups-done-light-en")

    # Assignments: a file with an error row is refused row by row; fixed, it applies.
    bad, good = os.path.join(artifacts, "assignments-bad.xlsx"), os.path.join(artifacts, "assignments-good.xlsx")
    workbook(bad, [[config["manager"], config["inn"], config["month"], config["nmId"]], ["nobody-here", config["inn"], config["month"], config["nmId"]]])
    workbook(good, [[config["manager"], config["inn"], config["month"], config["nmId"]]])
    page("/assignments", "assignments")
    driver.find_element(By.ID, "import-file").send_keys(bad)
    driver.find_element(By.ID, "import-check").click()
    until(lambda: driver.find_elements(By.ID, "import-summary"), "the dry run's report")
    problem_rows = driver.find_elements(By.CSS_SELECTOR, "#import-report tbody tr")
    check(len(problem_rows) == 1 and problem_rows[0].text.startswith("3"), "one problem, on row 3: " + " | ".join(r.text for r in problem_rows))
    check(driver.find_element(By.ID, "import-apply").get_attribute("disabled") is not None, "apply is off while the file has problems")
    report["importProblem"] = problem_rows[0].text if problem_rows else ""
    shot("assignments-import-error-light-en")
    driver.find_element(By.ID, "import-file").send_keys(good)
    driver.find_element(By.ID, "import-check").click()
    until(lambda: driver.find_elements(By.ID, "import-summary") and driver.find_element(By.ID, "import-apply").get_attribute("disabled") is None, "a clean dry run")
    driver.find_element(By.ID, "import-apply").click()
    until(lambda: "Rows applied" in driver.find_element(By.ID, "import-report").text, "the import applies")
    until(lambda: str(config["nmId"]) in driver.find_element(By.ID, "assign-table").text, "the table shows the imported article")

    # KPI: the month's ranking after the import (the worker recomputes it; a lead may ask for it at once), the score
    # chart, and the manager's breakdown with her article.
    page("/kpi?month=" + config["month"], "kpi")
    if body("kpi") == "pending":
        check(driver.find_elements(By.ID, "kpi-recompute"), "an admin is offered the recompute")
        if driver.find_elements(By.ID, "kpi-recompute"):
            driver.find_element(By.ID, "kpi-recompute").click()
    if until(lambda: body("kpi") == "ready", "the month's ranking", timeout=60):
        rows = driver.find_elements(By.CSS_SELECTOR, "#kpi-ranking tbody tr")
        check(len(rows) >= 1 and rows[0].text.startswith("1"), "the ranking's first row is rank 1: " + " | ".join(r.text for r in rows))
        check(len(driver.find_elements(By.CSS_SELECTOR, "#kpi-chart svg rect")) >= 1, "the score chart has a bar")
        report["kpiRow"] = rows[0].text if rows else ""
        axe("kpi ranking light")
        rows[0].find_element(By.CSS_SELECTOR, "button.link").click()
        until(lambda: body("kpi-detail") is not None, "the manager's breakdown")
        detail = driver.find_element(By.ID, "kpi-detail").text
        check("By article" in detail and str(config["nmId"]) in detail, "the breakdown lists her article: " + detail[:300])
        shot("kpi-breakdown-light-en")

    # The avatar: a 900×600 PNG cropped in the browser, uploaded as a 512×512 JPEG.
    picture = os.path.join(artifacts, "avatar-source.png")
    with open(picture, "wb") as file:
        file.write(png(900, 600))
    page("/profile", "profile")
    driver.find_element(By.ID, "avatar-file").send_keys(picture)
    until(lambda: driver.find_element(By.ID, "avatar-upload").get_attribute("disabled") is None, "the crop is ready")
    zoom = driver.find_element(By.ID, "avatar-zoom")
    driver.execute_script("arguments[0].value = 1.5; arguments[0].dispatchEvent(new Event('input'))", zoom)
    driver.find_element(By.ID, "avatar-upload").click()
    until(lambda: body("avatar") is not None, "the avatar upload")
    check(driver.find_element(By.ID, "avatar-message").text == "The avatar is saved.", "avatar: " + driver.find_element(By.ID, "avatar-message").text)

    # A user's roles and seller account in the edit dialog (a role that opens no page: the manager's checks below hold).
    page("/users", "users")
    driver.find_element(By.CSS_SELECTOR, "button[aria-label='Edit %s']" % config["manager"]).click()
    until(lambda: driver.find_elements(By.CSS_SELECTOR, "dialog#user-edit[open]"), "the edit dialog")
    axe("user edit dialog light")
    shot("users-edit-light-en")
    driver.find_element(By.CSS_SELECTOR, "dialog#user-edit input[value='CONTENT_MANAGER']").click()
    driver.find_element(By.ID, "user-edit-save").click()
    until(lambda: not driver.find_elements(By.CSS_SELECTOR, "dialog#user-edit"), "the dialog saves and closes")
    until(lambda: "Manager, Content manager" in driver.find_element(By.ID, "user-list").text, "the list shows the new role")

    # A seller account synced now (twice: the second click finds the jobs queued) and its interval set.
    page("/accounts", "accounts")
    def press(label):  # the list re-renders after each change: find the button afresh
        until(lambda: driver.execute_script("const b = document.querySelector(arguments[0]); if (b) b.click(); return !!b", "button[aria-label='%s']" % label), "the button " + label)
    press("Sync Кристалл now")
    until(lambda: "is queued" in driver.find_element(By.ID, "accounts-message").text, "sync now")
    # Again: the jobs still queued or running are returned, or (the test's worker is quick) new ones are queued.
    driver.execute_script("document.getElementById('accounts-message').textContent = ''")
    press("Sync Кристалл now")
    until(lambda: re.search("already queued or running|is queued", driver.find_element(By.ID, "accounts-message").text), "sync now, again")
    driver.execute_script("window.prompt = () => 'soon'")
    press("Change the sync interval of Кристалл")
    until(lambda: driver.find_element(By.ID, "accounts-message").text.startswith("Enter whole minutes"), "a bad interval refused in the page")
    driver.execute_script("window.prompt = () => '15'")
    press("Change the sync interval of Кристалл")
    until(lambda: driver.find_element(By.ID, "accounts-message").text == "Кристалл syncs every 15 min.", "the interval saved")
    until(lambda: "15 min" in driver.find_element(By.ID, "account-list").text, "the list shows the interval")
    shot("accounts-actions-light-en")
    # Its token replaced in the dialog: nothing entered is refused in the page, a token WB refuses is shown and
    # keeps the dialog open, a valid one closes it.
    press("Replace the token or portal cookies of Кристалл")
    until(lambda: driver.find_elements(By.CSS_SELECTOR, "dialog#credentials-edit[open]"), "the credentials dialog")
    axe("credentials dialog light")
    driver.find_element(By.ID, "credentials-save").click()
    until(lambda: driver.find_element(By.ID, "credentials-problem").text.startswith("Enter a new token"), "an empty dialog refused")
    driver.find_element(By.ID, "new-token").send_keys("not-a-wb-token")
    driver.find_element(By.ID, "credentials-save").click()
    until(lambda: (lambda text: text and not text.startswith("Checking") and not text.startswith("Enter"))(driver.find_element(By.ID, "credentials-problem").text), "a bad token refused")
    report["badToken"] = driver.find_element(By.ID, "credentials-problem").text
    check(driver.find_elements(By.CSS_SELECTOR, "dialog#credentials-edit[open]"), "the dialog stays open after a refusal")
    driver.find_element(By.ID, "new-token").clear()
    driver.find_element(By.ID, "new-token").send_keys(config["newToken"])
    driver.find_element(By.ID, "credentials-save").click()
    until(lambda: not driver.find_elements(By.CSS_SELECTOR, "dialog#credentials-edit"), "the valid token saves and closes the dialog")

    # Sign out: the session cookie is gone, pages send the browser to the sign-in.
    driver.find_element(By.ID, "sign-out").click()
    until(lambda: body("page") == "/sign-in", "signed out")
    driver.get(base + "/users")
    until(lambda: body("page") == "/sign-in", "signed out for good")

    # A manager: their own page with their articles and the portal link; no admin page is offered or opens.
    sign_in(config["manager"], config["managerPassword"], "forbidden")
    check(body("page") == "forbidden", "a manager does not get the users page")
    page("/")
    until(lambda: driver.find_elements(By.CSS_SELECTOR, "#articles li"), "the manager's articles")
    check([e.text for e in driver.find_elements(By.CSS_SELECTOR, "#articles li")] == [str(config["nmId"])], "the manager sees her article")
    check(driver.find_element(By.ID, "portal-link").get_attribute("href") == config["portal"], "the portal link")
    # Her KPIs this month: the worker recomputes the month after the assignment change (debounced), then the card
    # shows her rank among the ranked.
    def kpi_shown():
        if driver.find_elements(By.ID, "kpi"):
            return True
        time.sleep(2)
        page("/")
        return False
    if until(kpi_shown, "the manager's KPIs, computed by the worker after the assignment", timeout=60):
        facts = driver.find_element(By.ID, "kpi").text
        check("Rank" in facts and "1 of 1" in facts, "the manager's rank: " + facts)
    menu = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#top nav a")]
    check(menu == ["Home"], "a manager's menu: " + repr(menu))
    for hidden in ["Fleet", "Backups", "Users", "Seller accounts", "Assignments", "Dead letters"]:
        check(hidden not in menu, "a manager's menu offers " + hidden)
    for path in ["/fleet", "/backups", "/accounts", "/fleet/dead"]:
        page(path)
        check(body("page") == "forbidden", "a manager opened " + path)
    page("/")
    axe("manager home light")
    shot("manager-home-light-en")
    report["managerMenu"] = menu
except Exception as error:
    problems.append("browser: %r at %s: %s" % (error, driver.current_url, driver.page_source[:800]))
finally:
    report["console"] = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"][:20]
    driver.quit()
check(not [m for m in report["console"] if "Content Security Policy" in m or "Refused to" in m], "the page broke its own CSP: %s" % report["console"])
report["problems"] = problems
print(json.dumps(report, ensure_ascii=False))
sys.exit(1 if problems else 0)
