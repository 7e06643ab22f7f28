import Assignments
import FakeWB
import FleetStore
import FleetTesting
import Foundation
import NIOHTTP1
import PostgresNIO
import Testing

/// A real browser (Debian's chromium, headless, driven by Selenium from PyPI) through the proxy edge: it signs in
/// on the API's origin (the session cookie is the platform's), opens the portal through the proxy, goes from the
/// shell to the ads SPA and back, and sees exactly the manager's articles; every request it makes stays on the
/// proxy's origin (Chrome's own network log, with every other host made unresolvable).
@Suite("proxy edge in Chromium: only the assigned articles, every request on the proxy's origin", .serialized)
struct ProxyBrowserTests {
    @Test("a manager signs in, opens the portal through the proxy, crosses to the ads SPA and back")
    func browser() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let account = try await api.account(admin, name: "Кристалл")
            let cookies =
                "wbx-refresh=demo-refresh; wbx-seller-device-id=supplier-portal__-browser; x-supplier-id-external=\(FakeWBPortal.supplierID)"
            #expect(
                try await api.call(.PUT, "/api/accounts/\(account)/portal-credentials", token: admin.token, json: #"{"cookies":"\#(cookies)"}"#)
                    .status == 204
            )
            let anna = try await api.user("anna", [.manager], password: "anna-password-1", accountID: account)
            let month = "/api/accounts/\(account)/assignments/\(AssignmentConfiguration().currentMonth())/users/\(anna.userID)"
            #expect(
                try await api.call(.PUT, month, token: admin.token, json: #"{"nmIds":[178231456],"force":true,"comment":"browser"}"#).status == 200
            )

            // One synced report row of hers, one of another manager's article: the balance widget shows hers only.
            let day = AssignmentConfiguration().currentMonth().firstDay
            try await ProxyHarness.reportRows(
                api,
                account: account,
                [
                    (1, 178_231_456, day, #"{"doc_type_name":"Продажа","ppvz_for_pay":1234.5}"#),
                    (2, 209_455_871, day, #"{"doc_type_name":"Продажа","ppvz_for_pay":9999}"#),
                ]
            )
            let portal = FakeWBPortal()
            try await ProxyHarness.run(api: api, portal: portal) { _, bases in
                let (status, output) = try runPython(
                    Self.script,
                    arguments: [api.base, bases[0], "anna", "anna-password-1", "178231456", "209455871,231906114"]
                )
                #expect(status == 0, "\(output)")
                let report =
                    output.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
                #expect((report["cards"] as? [String]) == ["178231456 Платье"], "\(output)")
                #expect((report["campaigns"] as? [String]) == ["501 Платья 178231456", "503 Всё 178231456"], "\(output)")
                #expect((report["offOrigin"] as? [String]) == [], "\(output)")
                #expect((report["suppliers"] as? String) == "200", "\(output)")
                // Every data section of the shell named her article only.
                let sections = report["sections"] as? [String: String] ?? [:]
                for name in ["prices", "funnel", "stocks", "feedbacks", "questions", "drafts"] {
                    #expect(sections[name] == "178231456", "\(name): \(output)")
                }
                #expect(sections["balance"] == "1234.5", "\(output)")
                // The anti-bot script ran as WB wrote it.
                #expect(sections["antibot"] == "ok", "\(output)")
                // Her card's photo, on the origin (its URL came rewritten inside the filtered JSON).
                let photos = report["photos"] as? [String] ?? []
                #expect(
                    photos.count == 1 && photos.allSatisfy { $0.hasPrefix(bases[0] + "/__basket__/01/") && $0.contains("178231456") },
                    "\(output)"
                )
                #expect(portal.requests.contains { $0.hasPrefix("basket-01.wbbasket.ru /vol1782/part178231/178231456/") })
                #expect(((report["requests"] as? Int) ?? 0) >= 8, "\(output)")
                // The browser's run-time request for the cards reached WB through the proxy, as did the ads API.
                #expect(portal.requests.contains("seller-content.wildberries.ru /ns/viewer/content-card/viewer/tableListv6"))
                #expect(portal.requests.contains("cmp.wildberries.ru /api/v5/adv/campaigns"))
            }
        }
    }

    static let script = #"""
        import json, sys, urllib.parse, urllib.request
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        api, proxy, login, password, expected = sys.argv[1:6]
        absent = sys.argv[6].split(",")
        options = Options()
        for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]:
            options.add_argument(argument)
        options.binary_location = "/usr/bin/chromium"
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        problems, report = [], {}
        def attribute(name, timeout=20):
            WebDriverWait(driver, timeout).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute(name))
            return driver.find_element(By.TAG_NAME, "body").get_attribute(name)
        try:
            driver.set_page_load_timeout(30)
            # Sign in with the API (the web UI's sign-in page is issue 18); the browser gets the very cookie the API set.
            request = urllib.request.Request(api + "/api/auth/login", data=json.dumps({"login": login, "password": password}).encode(),
                                             headers={"Content-Type": "application/json"}, method="POST")
            with urllib.request.urlopen(request) as answer:
                set_cookies = answer.headers.get_all("Set-Cookie") or []
            access = [c for c in set_cookies if c.startswith("joycity_access=")]
            if not access:
                problems.append("the API set no joycity_access cookie: %s" % set_cookies)
            else:
                parts = [p.strip() for p in access[0].split(";")]
                attributes = {p.split("=")[0].lower(): (p.split("=", 1)[1] if "=" in p else True) for p in parts[1:]}
                host = urllib.parse.urlparse(proxy).hostname
                driver.execute_cdp_cmd("Network.enable", {})
                driver.execute_cdp_cmd("Network.setCookie", {
                    "name": "joycity_access", "value": parts[0].split("=", 1)[1], "domain": host, "path": attributes.get("path", "/"),
                    "httpOnly": "httponly" in attributes, "secure": "secure" in attributes,
                    "sameSite": str(attributes.get("samesite", "Lax")).capitalize()})
            driver.get_log("performance")  # what follows is the portal's traffic only

            driver.get(proxy + "/")
            if attribute("data-cards") != "ready":
                problems.append("cards: " + attribute("data-cards"))
            report["cards"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#cards .card")]
            report["suppliers"] = attribute("data-suppliers")
            report["sections"] = {name: attribute("data-" + name) for name in ["prices", "funnel", "stocks", "feedbacks", "questions", "drafts", "balance", "antibot"]}
            report["photos"] = [e.get_attribute("src") for e in driver.find_elements(By.CSS_SELECTOR, "#cards .photo")]
            driver.find_element(By.LINK_TEXT, "ads").click()
            if attribute("data-campaigns") != "ready":
                problems.append("campaigns: " + attribute("data-campaigns"))
            report["campaigns"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#campaigns .campaign")]
            report["adsURL"] = driver.current_url
            driver.find_element(By.ID, "home").click()
            if attribute("data-cards") != "ready":
                problems.append("cards again: " + attribute("data-cards"))

            requests, off = 0, []
            for entry in driver.get_log("performance"):
                message = json.loads(entry["message"])["message"]
                if message.get("method") != "Network.requestWillBeSent":
                    continue
                url = message["params"]["request"]["url"]
                requests += 1
                if not (url == proxy or url.startswith(proxy + "/") or url.split(":")[0] in ("data", "blob", "about")):
                    off.append(url)
            report["requests"], report["offOrigin"] = requests, off
            shown = " ".join(report["cards"] + report["campaigns"])
            if expected not in shown:
                problems.append("the assigned article is not shown")
            for other in absent:
                if other in shown:
                    problems.append("an unassigned article is shown: " + other)
            if not report["adsURL"].startswith(proxy + "/__cmp__/"):
                problems.append("the ads page left the origin: " + report["adsURL"])
        except Exception as error:
            problems.append("browser: %r at %s: %s" % (error, driver.current_url, driver.page_source[:500]))
        finally:
            driver.quit()
        report["problems"] = problems
        print(json.dumps(report, ensure_ascii=False))
        sys.exit(1 if problems else 0)
        """#
}
