#!/usr/bin/env python3
"""The dashboard in a real browser: headless Chromium driven by Selenium, checked by axe-core.

Starts the real `bureau` binary (`bureau serve` with a temporary configuration and data directory on a
free loopback port), then signs in, creates and revokes an API key, works with desktops and tasks,
creates a read-only key with an expiry, rolls a key with a grace period, reads a key's usage chart, watches the live activity
feed while a script creates a task with another key, and signs out. Every
page and state is checked by axe-core (no serious or critical violation), must raise no script error
and no Content-Security-Policy violation, must fit a 375 px wide screen, and is saved as screenshots
(desktop width and 375 px wide) under .build/screenshots/.

    python3 Tests/Browser/dashboard_test.py [--binary .build/debug/bureau]

Needs chromium and chromedriver (Debian: `apt-get install chromium chromium-driver`) and the Python
packages of requirements.txt. A missing piece is an error naming it, never a skip. Exits non-zero on
any failure.

Sign-in paths are functions in SIGN_IN_PATHS: each takes the browser to a signed-in dashboard, through
the development login or through a real OpenID Connect round trip: the server is configured with the
fake provider `bureau-test-provider` (built beside the binary), which signs EMAIL in without a prompt,
and the browser clicks its button on the sign-in page. test_sign_in_paths runs each.
EXTRA_CONFIG holds lines added to the server's configuration.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPOSITORY / ".build" / "screenshots"
EMAIL = "browser@bureau.test"
KEY_PATTERN = re.compile(r"lb_k_[A-Za-z0-9_]{20,}")
RATE_WINDOW_SECONDS = 10
DESKTOP_WIDTH, DESKTOP_HEIGHT = 1280, 900
PHONE_WIDTH, PHONE_HEIGHT = 375, 812
# The main server's auth.max_key_lifetime_days: the page shows the server's refusal of a later expiry.
MAX_KEY_LIFETIME_DAYS = 400


try:
    from selenium.webdriver.common.keys import Keys
except ImportError:  # require_tools() says what to install.
    Keys = None


class Failure(Exception):
    """A check that did not hold."""


def check(condition, message):
    if not condition:
        raise Failure(message)


# ---- What the test needs ----------------------------------------------------------------------


def require_tools():
    """The browser, its driver and the Python packages, or an error naming what to install."""
    problems = []
    chromium = next((shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)
    driver = shutil.which("chromedriver")
    if chromium is None:
        problems.append("chromium is not installed (Debian: apt-get install chromium)")
    if driver is None:
        problems.append("chromedriver is not installed (Debian: apt-get install chromium-driver)")
    for module, package in (("selenium", "selenium"), ("axe_selenium_python", "axe-selenium-python")):
        try:
            __import__(module)
        except ImportError:
            problems.append(f"the Python package {package} is missing (pip install -r Tests/Browser/requirements.txt)")
    if problems:
        print("The browser test cannot run:\n  - " + "\n  - ".join(problems), file=sys.stderr)
        sys.exit(1)
    return chromium, driver


# ---- The server -------------------------------------------------------------------------------


class Server:
    """A `bureau serve` of its own: temporary configuration and data directory, a free loopback port."""

    def __init__(self, binary, workdir, extra_config=(), environment=None):
        # A port chosen here rather than `port: 0`: the server's public origin (which its sign-in and CSRF
        # checks compare the browser's Origin with) is derived from the configured port.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.binary = str(binary)
        self.workdir = workdir
        self.data = workdir / "data"
        self.config = workdir / "bureau.yaml"
        self.config.write_text(
            "\n".join(
                [
                    "http:",
                    "  host: 127.0.0.1",
                    f"  port: {port}",
                    "storage:",
                    f"  data_dir: {json.dumps(str(self.data))}",
                    "  fsync: never",
                    "auth:",
                    "  bcrypt_cost: 4",
                    "  cookie_secure: false",
                    "  dev_login: true",
                    "  max_keys_per_user: 3",
                    "rate_limits:",
                    "  general:",
                    "    limit: 120",
                    f"    window_seconds: {RATE_WINDOW_SECONDS}",
                    "stream:",
                    "  heartbeat_seconds: 5",
                    *extra_config,
                    "",
                ]
            )
        )
        # The environment without BUREAU_* variables: the server refuses ones it does not know.
        self.environment = {name: value for name, value in os.environ.items() if not name.startswith("BUREAU_")}
        self.environment.update(environment or {})
        self.process = None
        self.base = None
        self.log = workdir / "server.log"

    def command(self, *arguments):
        """Runs an offline `bureau` command on the data directory; its standard output."""
        result = subprocess.run(
            [self.binary, *arguments, "--data-dir", str(self.data), "--config", str(self.config)],
            capture_output=True,
            text=True,
            env=self.environment,
            timeout=60,
        )
        check(result.returncode == 0, f"bureau {arguments[0]} {arguments[1]} failed: {result.stderr.strip()}")
        return result.stdout

    def start(self, *options):
        self.process = subprocess.Popen(
            [self.binary, "serve", "--config", str(self.config), *options],
            stdout=subprocess.PIPE,
            stderr=open(self.log, "ab"),
            env=self.environment,
        )
        # The first line of its output says where it listens.
        first = {}
        reader = threading.Thread(target=lambda: first.setdefault("line", self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(30)
        line = first.get("line", b"").decode()
        match = re.search(r"http://[^\s]+", line)
        if not match:
            self.stop()
            raise Failure(f"bureau serve did not start: {line!r}\n{self.log.read_text(errors='replace')[-2000:]}")
        self.base = match.group(0).rstrip("/")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def http(server, method, path, key=None, cookie=None, body=None, headers=None):
    """One request from outside the browser: (status, headers, parsed JSON or text)."""
    request = urllib.request.Request(server.base + path, method=method)
    if key:
        request.add_header("x-api-key", key)
    if cookie:
        request.add_header("Cookie", cookie)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, data=data, timeout=20) as response:
            status, answer_headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, raw = error.code, error.headers, error.read()
    text = raw.decode(errors="replace")
    try:
        content = json.loads(text) if text else None
    except ValueError:
        content = text
    return status, answer_headers, content


# ---- The browser ------------------------------------------------------------------------------


class Browser:
    """Headless Chromium with the checks every page state gets."""

    def __init__(self, chromium, driver_path, server):
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service

        options = Options()
        options.binary_location = chromium
        # As root in a container, Chromium needs --no-sandbox; /dev/shm is often too small there.
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--no-first-run",
            f"--window-size={DESKTOP_WIDTH},{DESKTOP_HEIGHT}",
        ):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        self.driver.set_script_timeout(60)
        self.server = server
        self.problems = []
        self.driver.execute_cdp_cmd(
            "Browser.grantPermissions",
            {"origin": server.base, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
        )

    def quit(self):
        self.driver.quit()

    # Finding and waiting.

    def find(self, selector):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def find_all(self, selector):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def wait(self, condition, message, timeout=10):
        """Waits until `condition()` is true (polling), else fails with `message`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = condition()
                if value:
                    return value
            except Exception:  # A stale or missing element while the page changes: look again.
                pass
            if time.monotonic() > deadline:
                raise Failure(f"{message} (within {timeout} s)")
            time.sleep(0.05)

    def click(self, selector):
        """Clicks `selector`, looking it up again if the page re-rendered it in between."""
        self.wait(lambda: self.find(selector).click() is None, f"{selector} can be clicked")

    def item_with_text(self, selector, text):
        """Whether an element matching `selector` holds `text` (one script call, not one per element)."""
        return self.driver.execute_script(
            "return [...document.querySelectorAll(arguments[0])].some((e) => e.textContent.includes(arguments[1]))",
            selector,
            text,
        )

    def visible(self, selector):
        return self.wait(lambda: self.find(selector).is_displayed() and self.find(selector), f"{selector} is shown")

    def holds(self, text):
        """Whether `text` is anywhere in the page: its markup, its text, or the value of a form control."""
        in_page = self.driver.execute_script(
            "return document.documentElement.outerHTML.includes(arguments[0])"
            " || document.body.textContent.includes(arguments[0])"
            " || [...document.querySelectorAll('input, textarea, select')].some((e) => e.value.includes(arguments[0]));",
            text,
        )
        return in_page or text in self.driver.page_source

    def active_element_id(self):
        return self.driver.execute_script("return document.activeElement && document.activeElement.id")

    def open(self, path):
        self.driver.get(self.server.base + path)

    def page_text(self):
        return self.find("body").text

    # The checks of every state.

    def check_state(self, name):
        """axe-core, script errors and CSP violations, the 375 px layout, and two screenshots."""
        self.check_console(name)
        self.check_accessibility(name)
        self.screenshot(name)

    def check_console(self, name):
        for entry in self.driver.get_log("browser"):
            message = entry.get("message", "")
            if entry.get("source") in ("javascript", "security") or "Content Security Policy" in message:
                self.problems.append(f"{name}: browser console: {message}")
        check(not self.problems, "\n".join(self.problems))

    def check_accessibility(self, name):
        from axe_selenium_python import Axe

        axe = Axe(self.driver)
        axe.inject()
        results = axe.run()
        serious = [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]
        check(not serious, f"{name}: axe-core found serious or critical violations:\n{axe.report(serious)}")

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for label, width, height in (("desktop", DESKTOP_WIDTH, DESKTOP_HEIGHT), ("phone", PHONE_WIDTH, PHONE_HEIGHT)):
            metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": label == "phone"}
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            # The whole page, up to a bound, in one image.
            full = self.driver.execute_script("return document.documentElement.scrollHeight")
            metrics["height"] = max(height, min(int(full), 2400))
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            if label == "phone":
                overflow = self.driver.execute_script(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                check(overflow <= 0, f"{name}: the page is {overflow} px wider than a {width} px screen")
            self.driver.save_screenshot(str(SCREENSHOTS / f"{name}-{label}.png"))
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    # Dashboard actions.

    def navigate(self, view, heading):
        self.find(f'#nav a[data-view="{view}"]').click()
        self.wait(lambda: self.find(f"#view-{view} h1").is_displayed(), f"the {heading} view is shown")
        check(self.find(f"#view-{view} h1").text == heading, f"the {view} view is titled {heading}")

    def session_cookie(self):
        cookie = self.driver.get_cookie("bureau_session")
        check(cookie is not None, "the browser holds the session cookie")
        check(cookie.get("httpOnly") is True, "the session cookie is HttpOnly")
        return f"bureau_session={cookie['value']}"


# ---- Sign-in paths ----------------------------------------------------------------------------


def sign_in_with_dev_login(browser, email=EMAIL):
    """The development login form: an email address, then the dashboard."""
    browser.open("/")
    form = browser.visible("#dev-login-form")
    field = form.find_element("css selector", "#dev-login-email")
    field.clear()
    # By keyboard: Enter in the field submits the form.
    field.send_keys(email, Keys.ENTER)
    browser.wait(lambda: browser.find("#nav").is_displayed(), "the dashboard shows after the development login")
    browser.wait(lambda: browser.find("#account-email").text == email, "the signed-in email is shown")


def sign_in_with_provider(browser, email=EMAIL):
    """The provider's button on the sign-in page: a real authorization-code round trip (state cookie, PKCE,
    nonce, a signed ID token) through the fake OpenID provider, back to the dashboard signed in."""
    browser.open("/")
    button = browser.visible("#providers a")
    check(button.text == f"Sign in with {PROVIDER_DISPLAY_NAME}", f"the provider's button: {button.text!r}")
    button.click()
    browser.wait(lambda: browser.find("#nav").is_displayed(), "the dashboard shows after the provider's sign-in")
    browser.wait(lambda: browser.find("#account-email").text == email, "the provider's verified email is signed in")
    check(browser.driver.current_url.rstrip("/") == browser.server.base, f"back on the dashboard: {browser.driver.current_url}")


# Each takes the browser from signed out to a signed-in dashboard for EMAIL.
SIGN_IN_PATHS = [sign_in_with_dev_login, sign_in_with_provider]
# Lines added to the server's configuration (a sign-in provider a path above needs, say).
EXTRA_CONFIG = []


def sign_out(browser, server):
    """Signs out through the button; the cookie the browser held is then refused (401)."""
    cookie = browser.session_cookie()
    status, _, me = http(server, "GET", "/api/auth/me", cookie=cookie)
    check(status == 200 and me["email"] == EMAIL, f"the session cookie works before signing out ({status})")
    browser.find("#sign-out").click()
    browser.wait(lambda: browser.find("#view-sign-in").is_displayed(), "the sign-in page shows after signing out")
    check(not browser.find("#nav").is_displayed(), "the navigation is gone once signed out")
    status, _, _ = http(server, "GET", "/api/auth/me", cookie=cookie)
    check(status == 401, f"the signed-out session's cookie is refused: {status}")


# ---- Tests ------------------------------------------------------------------------------------


def test_served_from_the_binary(browser, server, context):
    """The real binary serves the page and its files with their security fields and tags."""
    for path, content_type in (("/", "text/html"), ("/assets/dashboard.js", "text/javascript"), ("/assets/dashboard.css", "text/css")):
        status, headers, _ = http(server, "GET", path)
        check(status == 200, f"{path}: {status}")
        check(headers["Content-Type"].startswith(content_type), f"{path}: {headers['Content-Type']}")
        check("script-src 'self'" in headers["Content-Security-Policy"], f"{path}: Content-Security-Policy")
        check(headers["X-Content-Type-Options"] == "nosniff", f"{path}: nosniff")
        status, _, _ = http(server, "GET", path, headers={"If-None-Match": headers["ETag"]})
        check(status == 304, f"{path} with its ETag: {status}")
        status, head, body = http(server, "HEAD", path)
        check(status == 200 and not body and head["Content-Length"] == headers["Content-Length"], f"HEAD {path}: {status}")
    status, headers, _ = http(server, "GET", "/assets/../Package.swift")
    check(status == 404 and headers["X-Frame-Options"] == "DENY", f"a path out of /assets: {status}")


def test_sign_in_page(browser, server, context):
    browser.open("/")
    browser.visible("#view-sign-in")
    check(browser.find("h1").text == "Sign in to Bureau", "the sign-in page's heading")
    check(browser.find("#dev-login-form").is_displayed(), "the development login form shows when dev_login is on")
    # The one configured provider has its button, to this server's own sign-in path.
    browser.wait(lambda: len(browser.find_all("#providers a")) == 1, "a button for the configured provider")
    link = browser.find("#providers a")
    check(link.get_attribute("href") == server.base + "/api/auth/oauth/test", f"the provider's link: {link.get_attribute('href')}")
    browser.check_state("sign-in")
    # A malformed address: the server's answer, in words, with the field.
    browser.find("#dev-login-email").send_keys("not-an-address")
    browser.find("#dev-login-form button[type=submit]").click()
    error = browser.visible("#dev-login-error")
    check("email" in error.text, f"a 400 names the field: {error.text!r}")
    browser.check_state("sign-in-error")
    # The page opened at another address than the server's configured one (localhost for 127.0.0.1): the
    # server refuses the sign-in as cross-site, and the page says what to do.
    browser.driver.get(server.base.replace("127.0.0.1", "localhost") + "/")
    browser.visible("#dev-login-form")
    browser.find("#dev-login-email").send_keys(EMAIL, Keys.ENTER)
    error = browser.visible("#dev-login-error")
    check("configured address" in error.text, f"a cross-site sign-in is explained: {error.text!r}")
    check(not browser.find("#nav").is_displayed(), "and nobody is signed in")


def test_provider_buttons(browser, server, context):
    """A button per configured provider, linking to its sign-in URL; the form only when dev login is on.

    Names and URLs no configuration produces (markup in a name, another site's URL) are given to the page
    by a script that runs before its own (DevTools, so outside the page's CSP) and answers its request for
    /api/auth/providers. Entries whose URL is not this server's own path are not shown.
    """
    options = {
        "data": [
            {"name": "github", "displayName": "GitHub", "signInUrl": "/api/auth/oauth/github"},
            {"name": "corp", "displayName": "<b>Corp</b> SSO", "signInUrl": "/api/auth/oauth/corp"},
            {"name": "evil", "displayName": "Elsewhere", "signInUrl": "//evil.example/login"},
            {"name": "evil2", "displayName": "Elsewhere too", "signInUrl": "https://evil.example/login"},
        ],
        "devLogin": False,
    }
    script = (
        "const original = window.fetch; const options = %s;"
        "window.fetch = (input, init) => String(input).endsWith('/api/auth/providers')"
        " ? Promise.resolve(new Response(JSON.stringify(options), {status: 200, headers: {'Content-Type': 'application/json'}}))"
        " : original(input, init);" % json.dumps(options)
    )
    added = browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": script})
    try:
        browser.open("/")
        browser.wait(lambda: len(browser.find_all("#providers a")) == 2, "a button per provider of this server")
        links = [(a.text, a.get_attribute("href")) for a in browser.find_all("#providers a")]
        check(
            links == [
                ("Sign in with GitHub", server.base + "/api/auth/oauth/github"),
                ("Sign in with <b>Corp</b> SSO", server.base + "/api/auth/oauth/corp"),
            ],
            f"provider buttons: {links}",
        )
        check(not browser.find("#dev-login-form").is_displayed(), "no development login form when dev login is off")
        browser.check_state("sign-in-providers")
    finally:
        browser.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]})


def test_sign_in_paths(browser, server, context):
    """Every sign-in path lands on the dashboard signed in as EMAIL, and signs out again."""
    for sign_in in SIGN_IN_PATHS:
        browser.driver.delete_all_cookies()
        sign_in(browser)
        status, _, me = http(server, "GET", "/api/auth/me", cookie=browser.session_cookie())
        check(status == 200 and me["authMethod"] == "session", f"{sign_in.__name__}: /api/auth/me answers {status}")
        sign_out(browser, server)


def test_sign_in_failure_page(browser, server, context):
    """A failed sign-in (a callback with a state this browser never started) is a page that says why in
    words and links back to sign-in, under the same checks as every page; nobody is signed in."""
    browser.driver.delete_all_cookies()
    browser.open("/api/auth/oauth/test/callback?code=forged&state=forged")
    heading = browser.visible("h1")
    check("sign" in heading.text.lower(), f"the failure page's heading: {heading.text!r}")
    text = browser.page_text()
    check("forged" not in text, "the page does not repeat the callback's code or state")
    browser.check_state("sign-in-failure")
    back = browser.driver.find_element("css selector", "a[href='/']")
    back.click()
    browser.visible("#view-sign-in")
    check(browser.driver.get_cookie("bureau_session") is None, "a failed sign-in starts no session")


def test_api_keys(browser, server, context):
    """Create a key, read it once, see it masked, revoke it through the confirmation: 401 from outside."""
    sign_in_with_dev_login(browser)
    browser.check_state("desktops-empty")
    browser.navigate("api-keys", "API Keys")
    check("Settings" in browser.find(".breadcrumb").text, "the API keys page is under Settings")
    browser.check_state("api-keys")

    browser.find("#key-name").send_keys("Browser test key")
    browser.find("#key-form button[type=submit]").click()
    panel = browser.visible("#new-key")
    check("You will not see this key again" in panel.text, "the page says the key is shown once")
    key = browser.find("#new-key-value").get_attribute("value")
    check(KEY_PATTERN.fullmatch(key), "the new key is shown in full")
    status, _, me = http(server, "GET", "/api/auth/me", key=key)
    check(status == 200 and me["email"] == EMAIL, f"the shown key works from outside the browser: {status}")
    # Copy: the clipboard then holds the key.
    browser.find("#copy-key").click()
    browser.wait(lambda: "Copied" in browser.find("#copy-status").text, "the page confirms the copy")
    copied = browser.driver.execute_async_script(
        "const done = arguments[arguments.length - 1]; navigator.clipboard.readText().then(done, () => done(null));"
    )
    check(copied == key, "Copy put the key on the clipboard")
    browser.check_state("api-key-created")

    # The list: name, masked preview (last four characters), creation date, last use.
    listed = browser.wait(
        lambda: browser.driver.execute_script(
            "const item = [...document.querySelectorAll('#key-list li')].find((li) => li.textContent.includes(arguments[0]));"
            "return item && [item.querySelector('.preview').textContent, item.textContent];",
            "Browser test key",
        ),
        "the new key is listed",
    )
    preview, text = listed
    check(preview.startswith("lb_k_") and preview.endswith(key[-4:]) and len(preview) < 16, f"the key is masked: {preview}")
    check("Last used" in text and "Created" in text, "the list shows creation and last use")
    # Dismissed, the key is nowhere in the page; nor after a reload.
    check(browser.holds(key), "while shown, the key is in the page (so the checks below can see it)")
    browser.find("#dismiss-key").click()
    browser.wait(lambda: not browser.find("#new-key").is_displayed(), "the key panel closes")
    check(not browser.holds(key), "the dismissed key is gone from the page")
    browser.driver.refresh()
    browser.wait(lambda: browser.item_with_text("#key-list li", "Browser test key"), "the list after a reload")
    check(not browser.holds(key), "the key is not in the page after a reload")

    # Revoke through the confirmation: cancelling keeps it, confirming revokes it.
    def revoke_button():
        for li in browser.find_all("#key-list li"):
            if "Browser test key" in li.text:
                return li.find_element("css selector", "button.revoke")
        return None

    browser.wait(lambda: revoke_button().click() is None, "the key's Revoke button")
    dialog = browser.visible("#revoke-dialog")
    check("Browser test key" in dialog.text and "cannot be undone" in dialog.text, "the confirmation names the key")
    browser.check_state("api-key-revoke-confirmation")
    # By keyboard: the dialog starts on Cancel, Escape closes it and gives focus back to the Revoke button.
    check(browser.active_element_id() == "revoke-cancel", "the confirmation's focus starts on Cancel")
    browser.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    browser.wait(lambda: not browser.find("#revoke-dialog").is_displayed(), "Escape closes the confirmation")
    check(browser.driver.execute_script("return document.activeElement.classList.contains('revoke')"), "focus returns to Revoke")
    # Enter on the focused Revoke button opens it again; Cancel closes it.
    browser.driver.switch_to.active_element.send_keys(Keys.ENTER)
    browser.visible("#revoke-dialog")
    browser.find("#revoke-cancel").click()
    browser.wait(lambda: not browser.find("#revoke-dialog").is_displayed(), "Cancel closes the confirmation")
    check(http(server, "GET", "/api/auth/me", key=key)[0] == 200, "Cancel and Escape leave the key working")
    browser.wait(lambda: revoke_button().click() is None, "the key's Revoke button")
    browser.visible("#revoke-dialog")
    browser.find("#revoke-confirm").click()
    browser.wait(lambda: not browser.find("#revoke-dialog").is_displayed(), "the confirmation closes")
    browser.wait(lambda: revoke_button() is None, "the revoked key leaves the list")
    status, headers, _ = http(server, "GET", "/api/auth/me", key=key)
    check(status == 401, f"the revoked key is refused from outside the browser: {status}")
    browser.check_state("api-keys-after-revoke")


def listed_keys(browser):
    """The key list as the page shows it, read in one script call (live events may re-render it)."""
    return browser.driver.execute_script(
        "return [...document.querySelectorAll('#key-list li')].map((li) => {"
        "  const expires = li.querySelector('.expires time');"
        "  const chart = li.querySelector('.usage-chart');"
        "  const client = li.querySelector('.client');"
        "  return {"
        "    id: li.dataset.id,"
        "    name: li.querySelector('.item-title').textContent,"
        "    preview: li.querySelector('.preview').textContent,"
        "    badges: [...li.querySelectorAll('.badges .badge')].map((b) => b.textContent),"
        "    scope: li.querySelector('.scope').textContent,"
        "    expires: li.querySelector('.expires').textContent,"
        "    expiresAt: expires ? expires.getAttribute('datetime') : null,"
        "    rollShown: !li.querySelector('button.roll').hidden,"
        "    chart: chart ? chart.getAttribute('aria-label') : null,"
        "    chartTitle: chart ? chart.querySelector('title').textContent : null,"
        "    bars: chart ? chart.querySelectorAll('rect.usage-bar').length : 0,"
        "    days: chart ? chart.querySelectorAll('rect').length : 0,"
        "    client: client && !client.hidden ? client.textContent : null,"
        "  };"
        "});"
    )


def listed_key(browser, preview_end):
    return next((key for key in listed_keys(browser) if key["preview"].endswith(preview_end)), None)


def api_key_record(server, context, key_id):
    """The key's record as the API lists it (read with the script's key)."""
    status, _, page = http(server, "GET", "/api/auth/api-keys", key=context["script_key"])
    check(status == 200, f"the script lists its user's keys: {status}")
    return next((record for record in page["data"] if record["id"] == key_id), None)


def seconds_from_now(iso):
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() - time.time()


def choose_expiry_date(browser, date):
    """The custom expiry date, set as the date picker sets it (typing into it depends on the browser's locale)."""
    browser.driver.execute_script(
        "const field = document.getElementById('key-expiry-date'); field.value = arguments[0];"
        "field.dispatchEvent(new Event('input', {bubbles: true})); field.dispatchEvent(new Event('change', {bubbles: true}));",
        date,
    )


def test_key_options(browser, server, context):
    """A read-only key with an expiry: the server's refusal of too long a life is explained, the key made
    is read-only from outside the browser, and the list shows its access and expiry."""
    from datetime import date, timedelta
    from selenium.webdriver.support.ui import Select

    browser.navigate("api-keys", "API Keys")
    check(browser.find("#key-expiry").get_attribute("value") == "never", "a key never expires unless asked")
    check(not browser.find("#key-expiry-date").is_displayed(), "the date field shows only for a chosen date")
    browser.find("#key-name").send_keys("Too long key")
    Select(browser.find("#key-expiry")).select_by_value("custom")
    field = browser.visible("#key-expiry-date")
    check(field.get_attribute("required") == "true", "a chosen date is required")
    # No date yet: the page asks for one without a request.
    browser.find("#key-form button[type=submit]").click()
    error = browser.visible("#key-error")
    check("Choose the date" in error.text and "Expires" in error.text, f"a missing date is explained: {error.text!r}")
    # Past auth.max_key_lifetime_days: the server's 400, its field under the form's own label.
    choose_expiry_date(browser, (date.today() + timedelta(days=MAX_KEY_LIFETIME_DAYS + 30)).isoformat())
    browser.find("#key-form button[type=submit]").click()
    browser.wait(
        lambda: f"at most {MAX_KEY_LIFETIME_DAYS} days ahead" in browser.find("#key-error").text, "the server's refusal is shown"
    )
    error = browser.find("#key-error").text
    check("Please check what you entered" in error and "Expires:" in error, f"the refusal names the field as the form does: {error!r}")
    check(not browser.find("#new-key").is_displayed(), "no key was made")
    browser.check_state("api-key-expiry-refused")

    # 30 days, read only.
    browser.find("#key-name").clear()
    browser.find("#key-name").send_keys("Read-only key")
    Select(browser.find("#key-expiry")).select_by_value("30")
    check(not browser.find("#key-expiry-date").is_displayed(), "the date field hides again")
    browser.find("#key-form input[name=scope][value=read]").click()
    asked_at = time.time()
    browser.find("#key-form button[type=submit]").click()
    browser.wait(lambda: browser.find("#new-key").is_displayed() and not browser.find("#key-error").is_displayed(), "the key is made")
    key = browser.find("#new-key-value").get_attribute("value")
    check(KEY_PATTERN.fullmatch(key), "the new key is shown in full")
    check(
        browser.find("#key-expiry").get_attribute("value") == "never"
        and browser.find("#key-form input[name=scope][value=full]").is_selected(),
        "the form is back to its defaults for the next key",
    )
    status, _, me = http(server, "GET", "/api/auth/me", key=key)
    check(status == 200 and me["scope"] == "read", f"the key reads, as a read key: {status} {me}")
    status, _, problem = http(server, "POST", "/api/desktops", key=key, body={"name": "Not allowed"})
    check(status == 403 and problem["code"] == "insufficient_scope", f"the key cannot change anything: {status} {problem}")
    browser.find("#dismiss-key").click()

    listed = browser.wait(lambda: listed_key(browser, key[-4:]), "the read-only key is listed")
    record = api_key_record(server, context, listed["id"])
    check(record["scope"] == "read", f"the API lists the key as read: {record}")
    check(abs(seconds_from_now(record["expiresAt"]) - (30 * 86400 - (time.time() - asked_at))) < 120, f"30 days: {record}")
    check(listed["badges"] == ["Read only"], f"a read-only badge: {listed['badges']}")
    check(listed["scope"] == "Read only", f"the access is shown: {listed['scope']!r}")
    check(listed["expiresAt"] == record["expiresAt"], f"the list shows the key's expiry: {listed['expiresAt']} vs {record['expiresAt']}")
    check("(in 30 days)" in listed["expires"], f"how far off it is: {listed['expires']!r}")
    # The script's key (full access) has no badge; with auth.max_key_lifetime_days set, it expires by it.
    script = listed_key(browser, context["script_key"][-4:])
    check(script["badges"] == [] and script["scope"] == "Full", f"a full key: {script}")
    check(f"(in {MAX_KEY_LIFETIME_DAYS} days)" in script["expires"], f"the longest lifetime applies: {script['expires']!r}")
    browser.check_state("api-keys-options")
    context["read_key"] = key


def test_roll_key(browser, server, context):
    """Roll through the dialog with a grace period: the new key is shown once, the old one is marked as
    rolled with its new expiry, and keeps working from outside the browser until then."""
    old_key = context["read_key"]
    browser.navigate("api-keys", "API Keys")
    old = browser.wait(lambda: listed_key(browser, old_key[-4:]), "the key to roll is listed")
    check(old["rollShown"], "the key has a Roll button")
    roll_button = f'#key-list li[data-id="{old["id"]}"] button.roll'
    check(browser.find(roll_button).get_attribute("aria-label") == "Roll Read-only key", "the Roll button names its key")
    browser.click(roll_button)
    dialog = browser.visible("#roll-dialog")
    check("Read-only key" in dialog.text and "grace period" in dialog.text, f"the dialog names the key: {dialog.text!r}")
    # By keyboard: focus starts on the selected grace period (24 hours); Escape closes, focus goes back.
    check(
        browser.driver.execute_script("const e = document.activeElement; return e.name === 'grace' && e.checked && e.value;") == "86400",
        "the dialog's focus starts on the selected grace period",
    )
    labels = browser.driver.execute_script(
        "return [...document.querySelectorAll('#roll-dialog input[name=grace]')].map((e) => e.labels[0].textContent.trim());"
    )
    check(labels == ["None: the old key stops working now", "1 hour", "24 hours", "7 days"], f"each grace period is labelled: {labels}")
    browser.check_state("api-key-roll-dialog")
    browser.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    browser.wait(lambda: not browser.find("#roll-dialog").is_displayed(), "Escape closes the dialog")
    check(browser.driver.execute_script("return document.activeElement.classList.contains('roll')"), "focus returns to Roll")
    check(http(server, "GET", "/api/auth/me", key=old_key)[0] == 200, "Escape rolls nothing")
    browser.driver.switch_to.active_element.send_keys(Keys.ENTER)
    browser.visible("#roll-dialog")
    browser.find("#roll-dialog input[name=grace][value='3600']").click()
    rolled_at = time.time()
    browser.find("#roll-confirm").click()
    browser.wait(lambda: not browser.find("#roll-dialog").is_displayed(), "the dialog closes")
    panel = browser.visible("#new-key")
    check("You will not see this key again" in panel.text, "the new key is shown once, as at creation")
    new_key = browser.find("#new-key-value").get_attribute("value")
    check(KEY_PATTERN.fullmatch(new_key) and new_key != old_key, "a new key is shown in full")
    check(browser.active_element_id() == "copy-key", "focus moves to Copy")
    note = browser.find("#new-key-note").text
    check(old["preview"] in note and "keeps working until" in note, f"the panel says what became of the old key: {note!r}")
    browser.check_state("api-key-rolled")

    # The list: the old key rolled, expiring at the end of the grace; the new one read-only, 30 days.
    def both():
        keys = listed_keys(browser)
        before = next((key for key in keys if key["id"] == old["id"]), None)
        after = next((key for key in keys if key["preview"].endswith(new_key[-4:])), None)
        return before and after and "Rolled" in before["badges"] and (before, after)

    before, after = browser.wait(both, "the list shows both keys, the old one rolled")
    record = api_key_record(server, context, old["id"])
    check(abs(seconds_from_now(record["expiresAt"]) - (3600 - (time.time() - rolled_at))) < 60, f"the old key expires in 1 hour: {record}")
    check(before["expiresAt"] == record["expiresAt"], f"the list shows the old key's expiry: {before['expiresAt']} vs {record['expiresAt']}")
    check("in 1 hour" in before["expires"] and "grace period" in before["expires"], f"the old key's expiry in words: {before['expires']!r}")
    check("Expires in 1 hour" in before["badges"], f"and flagged: {before['badges']}")
    check(not before["rollShown"], "a rolled key cannot be rolled again")
    check(after["name"] == "Read-only key" and after["badges"] == ["Read only"], f"the new key: same name and access: {after}")
    check("(in 30 days)" in after["expires"], f"the new key keeps the old one's lifetime: {after['expires']!r}")
    # During the grace both keys work.
    status, _, me = http(server, "GET", "/api/auth/me", key=old_key)
    check(status == 200 and me["scope"] == "read", f"the old key still works during the grace: {status}")
    status, _, _ = http(server, "GET", "/api/desktops", key=new_key)
    check(status == 200, f"the new key works: {status}")
    browser.check_state("api-keys-after-roll")
    browser.find("#dismiss-key").click()
    check(not browser.holds(new_key), "the dismissed key is gone from the page")
    check(record.get("rolled") is True, f"the API says the old key was rolled: {record}")
    # After a reload the list still knows which key was rolled (the server says so, not the page's memory).
    browser.driver.refresh()
    reloaded = browser.wait(both, "after a reload the old key is still shown as rolled")
    check(not reloaded[0]["rollShown"], "and still cannot be rolled again")

    # Room for the tests after this one: both keys revoked (from outside: the list follows the live feed).
    for key_id in (before["id"], after["id"]):
        status, _, _ = http(server, "DELETE", f"/api/auth/api-keys/{key_id}", key=context["script_key"])
        check(status == 204, f"a rolled key is revoked: {status}")
    check(http(server, "GET", "/api/auth/me", key=old_key)[0] == 401, "the revoked old key is refused")
    browser.wait(lambda: len(listed_keys(browser)) == 1, "the list follows the revocations")


def test_key_usage(browser, server, context):
    """A key's usage: a new key's chart says it has not been used; used N times from outside the browser,
    after a reload its chart's text says N requests today and the last client address is 127.0.0.1."""
    browser.navigate("api-keys", "API Keys")
    status, _, created = http(server, "POST", "/api/auth/api-keys", key=context["script_key"], body={"name": "Usage key"})
    check(status == 201, f"the script creates a key: {status}")
    key = created["key"]
    unused = browser.wait(
        lambda: (listed := listed_key(browser, key[-4:])) and listed["chart"] and listed, "the new key is listed with its chart"
    )
    check("0 requests in the last 30 days, 0 today" in unused["chart"], f"an unused key's chart: {unused['chart']!r}")
    check(unused["bars"] == 0 and unused["days"] == 30, f"30 days, no bar for a day without requests: {unused}")
    check(unused["client"] == "None yet", f"no client address yet: {unused['client']!r}")
    check(unused["badges"] == [], f"a new key is not flagged Unused (no auth.unused_key_days here): {unused['badges']}")
    check(browser.find("#keys-usage-hint").is_displayed(), "the page says what the charts count")
    uses = 5
    for _ in range(uses):
        status, _, _ = http(server, "GET", "/api/desktops", key=key)
        check(status == 200, f"the key reads desktops: {status}")
    status, _, record = http(server, "GET", f"/api/auth/api-keys/{created['id']}", key=context["script_key"])
    check(status == 200 and record["usage"]["days"][-1] == uses, f"the API counts {uses} requests today: {status} {record}")
    browser.driver.refresh()
    used = browser.wait(
        lambda: (listed := listed_key(browser, key[-4:])) and listed["chart"] and listed, "the key is listed after a reload"
    )
    check(
        used["chart"] == f"Usage of Usage key: {uses} requests in the last 30 days, {uses} today",
        f"the chart's text alternative gives today's count: {used['chart']!r}",
    )
    check(used["chartTitle"] == used["chart"], "the chart's title says the same")
    check(used["bars"] == 1, f"one bar, for today: {used['bars']}")
    check(used["client"] == "127.0.0.1", f"the last client address: {used['client']!r}")
    browser.check_state("api-keys-usage")
    status, _, _ = http(server, "DELETE", f"/api/auth/api-keys/{created['id']}", key=context["script_key"])
    check(status == 204, f"the usage key is revoked: {status}")
    browser.wait(lambda: len(listed_keys(browser)) == 1, "the list follows the revocation")


def test_unused_key_badge(browser, server, context):
    """A key nobody used for `auth.unused_key_days` gets the Unused badge; the others do not. The old key is
    made offline with the clock set three days back (libfaketime), so its creation really lies in the past
    for the server: nothing of the page or the server is faked."""
    faketime = shutil.which("faketime")
    check(faketime is not None, "faketime is installed (Debian: apt-get install faketime)")
    server.stop()
    try:
        made = subprocess.run(
            [faketime, "-f", "-3d", server.binary, "keys", "create", "--user", EMAIL, "--name", "Forgotten key",
             "--data-dir", str(server.data), "--config", str(server.config)],
            capture_output=True,
            text=True,
            env=server.environment,
            timeout=60,
        )
        check(made.returncode == 0, f"the key is made three days back: {made.stderr.strip()}")
        old_key = made.stdout.strip()
        check(KEY_PATTERN.fullmatch(old_key), "keys create prints the key")
    finally:
        server.start("--auth-unused-key-days", "2")
    try:
        status, _, page = http(server, "GET", "/api/auth/api-keys", key=context["script_key"])
        check(status == 200, f"the script lists its keys: {status}")
        forgotten = next((record for record in page["data"] if record["name"] == "Forgotten key"), None)
        check(forgotten is not None and forgotten["unused"] is True, f"the API flags the forgotten key: {forgotten}")
        check(seconds_from_now(forgotten["createdAt"]) < -2 * 86400, f"it was created days ago: {forgotten['createdAt']}")
        browser.driver.refresh()
        browser.navigate("api-keys", "API Keys")

        def flagged():
            keys = listed_keys(browser)
            old = next((key for key in keys if key["name"] == "Forgotten key"), None)
            return old and "Unused" in old["badges"] and (old, [key for key in keys if key is not old])

        old, others = browser.wait(flagged, "the forgotten key shows the Unused badge")
        check(others and all("Unused" not in key["badges"] for key in others), f"keys in use are not flagged: {others}")
        browser.check_state("api-keys-unused")
        # Room for the tests after this one.
        status, _, _ = http(server, "DELETE", f"/api/auth/api-keys/{forgotten['id']}", key=context["script_key"])
        check(status == 204, f"the forgotten key is revoked: {status}")
        browser.wait(lambda: len(listed_keys(browser)) == len(others), "the list follows the revocation")
    finally:
        server.stop()
        server.start()


def test_key_errors(browser, server, context):
    """Validation (400) and the key limit (409) are explained in words."""
    browser.navigate("api-keys", "API Keys")
    browser.find("#key-name").send_keys("   ")
    browser.find("#key-form button[type=submit]").click()
    error = browser.visible("#key-error")
    check("name" in error.text, f"a 400 names the field: {error.text!r}")
    # The configured limit is 3 active keys; the script's key is one of them.
    for index in range(3):
        field = browser.find("#key-name")
        field.clear()
        field.send_keys(f"Limit key {index}")
        browser.find("#key-form button[type=submit]").click()
        if index < 2:
            browser.wait(lambda: browser.find("#new-key").is_displayed() and not browser.find("#key-error").is_displayed(), "a key is created")
            browser.find("#dismiss-key").click()
    error = browser.visible("#key-error")
    check("limit of active API keys" in error.text and "revoke one" in error.text, f"a 409 explains the limit: {error.text!r}")
    browser.check_state("api-keys-limit")


def test_desktops_and_tasks(browser, server, context):
    """Create a desktop and a task from the page, and move the task through its statuses."""
    browser.navigate("desktops", "Desktops")
    browser.find("#desktop-name").send_keys("Browser desktop")
    browser.find("#desktop-form button[type=submit]").click()
    browser.wait(lambda: any("Browser desktop" in li.text for li in browser.find_all("#desktop-list li")), "the new desktop is listed")
    browser.visible("#tasks")
    browser.find("#task-content").send_keys("Run the browser tests")
    browser.find("#task-form button[type=submit]").click()
    task = browser.wait(lambda: next(iter(browser.find_all("#task-list li")), None), "the new task is listed")

    def task_state():
        # One script call: the list may be re-rendered (live events refresh it) between two WebDriver calls.
        status, buttons = browser.driver.execute_script(
            "const item = document.querySelector('#task-list li');"
            "return [item.querySelector('.badge').textContent, [...item.querySelectorAll('button')].map((b) => b.textContent)];"
        )
        return status, buttons

    check(task_state() == ("queued", ["Start", "Cancel"]), f"a queued task can start or be cancelled: {task_state()}")
    browser.click("#task-list li button[data-status=running]")
    browser.wait(lambda: task_state() == ("running", ["Complete", "Mark failed", "Cancel"]), "a running task can complete, fail or be cancelled")
    browser.check_state("desktops-tasks")
    browser.click("#task-list li button[data-status=completed]")
    browser.wait(lambda: task_state() == ("completed", []), "a completed task has no transition left")
    context["desktop"] = http(server, "GET", "/api/desktops", key=context["script_key"])[2]["data"][0]["id"]


def test_live_activity(browser, server, context):
    """A task created by a script with another key appears in the live feed within a second."""
    browser.navigate("activity", "Activity")
    browser.wait(lambda: browser.find("#stream-status").text.startswith("Live"), "the live feed connects")
    content = f"Created by a script at {time.time():.3f}"
    status, _, _ = http(
        server,
        "POST",
        "/api/mission-control/tasks",
        key=context["script_key"],
        body={"type": "prompt", "content": content, "desktopId": context["desktop"]},
    )
    check(status == 201, f"the script creates a task: {status}")
    sent = time.monotonic()
    browser.wait(lambda: browser.item_with_text("#activity-list li", content), "the script's task appears in the live feed", timeout=1)
    check(time.monotonic() - sent <= 1.0, "within a second")
    event = next(li for li in browser.find_all("#activity-list li") if content in li.text)
    check("task.created" in event.text, f"the event shows its type: {event.text!r}")
    check(event.find_element("css selector", "time").get_attribute("datetime"), "the event shows its time")
    # Text is text: a name holding markup is shown as written, never interpreted.
    markup = '<img src=x onerror="document.title=1">'
    http(server, "POST", "/api/desktops", key=context["script_key"], body={"name": markup})
    item = browser.wait(
        lambda: next((li for li in browser.find_all("#activity-list li") if markup in li.text), None), "markup shows as text"
    )
    check(not item.find_elements("css selector", "img"), "no element is made from event data")
    browser.check_state("activity")


def test_feed_resumes_after_restart(browser, server, context):
    """The page leaves reconnection to the browser: after the server restarts, the feed resumes from the
    last event it saw (Last-Event-ID), so an event created before the browser is back still shows."""
    browser.navigate("activity", "Activity")
    server.stop()
    browser.wait(lambda: not browser.find("#stream-status").text.startswith("Live"), "the page notices the stream ended")
    server.start()
    content = f"Created while the browser was away at {time.time():.3f}"
    status, _, _ = http(
        server,
        "POST",
        "/api/mission-control/tasks",
        key=context["script_key"],
        body={"type": "prompt", "content": content, "desktopId": context["desktop"]},
    )
    check(status == 201, f"the script creates a task after the restart: {status}")
    browser.wait(lambda: browser.item_with_text("#activity-list li", content), "the missed event arrives on reconnection", timeout=30)
    browser.wait(lambda: browser.find("#stream-status").text.startswith("Live"), "the feed is live again")
    check(browser.find("#nav").is_displayed(), "the session survived the restart")


def test_rate_limit_message(browser, server, context):
    """A 429 is explained with the wait the server asks for (Retry-After)."""
    browser.navigate("api-keys", "API Keys")
    # Spend the user's general limit from outside (the same user's key), then try from the page.
    for _ in range(200):
        status, headers, _ = http(server, "GET", "/api/desktops", key=context["script_key"])
        if status == 429:
            break
    check(status == 429, "the general limit is reached")
    context["limit_spent_at"] = time.monotonic()
    browser.find("#key-name").clear()
    browser.find("#key-name").send_keys("One too many")
    browser.find("#key-form button[type=submit]").click()
    error = browser.wait(lambda: "rate limited" in browser.find("#key-error").text and browser.find("#key-error"), "a 429 is shown")
    check(re.search(r"Try again in \d+ seconds?\.", error.text), f"the wait is given: {error.text!r}")
    browser.check_state("api-keys-rate-limited")


def test_sign_out(browser, server, context):
    # The general limit was spent: wait until every request of that burst has left the sliding window.
    wait = context.get("limit_spent_at", 0) + RATE_WINDOW_SECONDS + 1 - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    sign_out(browser, server)
    browser.check_state("signed-out")


def test_feed_reset(browser, server, context):
    """Past what the server keeps, a resume gets `event: reset`: the page reloads the feed and the lists.

    A server of its own keeps 5 events per user. The browser is taken offline and the server restarted, 8
    events are created, then the browser comes back: its resume (Last-Event-ID) is older than what is kept.
    Runs last: cookies do not tell ports apart, so signing in here replaces the main server's cookie.
    """
    with tempfile.TemporaryDirectory(prefix="bureau-browser-reset-") as directory:
        other = Server(server.binary, Path(directory))
        other.command("users", "add", "--email", EMAIL)
        key = other.command("keys", "create", "--user", EMAIL, "--name", "Reset key", "--bcrypt-cost", "4").strip()
        other.start("--stream-replay-events", "5")
        main, browser.server = browser.server, other
        try:
            browser.driver.execute_cdp_cmd(
                "Browser.grantPermissions", {"origin": other.base, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]}
            )
            sign_in_with_dev_login(browser)
            browser.navigate("activity", "Activity")
            browser.wait(lambda: browser.find("#stream-status").text.startswith("Live"), "the live feed connects")
            status, _, first = http(other, "POST", "/api/desktops", key=key, body={"name": "Seen before"})
            check(status == 201, f"a first desktop: {status}")
            browser.wait(lambda: browser.item_with_text("#activity-list li", "Seen before"), "the feed shows it")
            browser.driver.execute_cdp_cmd("Network.enable", {})
            offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
            browser.driver.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
            other.stop()
            other.start("--stream-replay-events", "5")
            for index in range(8):
                status, _, _ = http(other, "POST", "/api/desktops", key=key, body={"name": f"Missed {index}"})
                check(status == 201, f"desktop {index}: {status}")
            browser.driver.execute_cdp_cmd("Network.emulateNetworkConditions", dict(offline, offline=False))
            browser.wait(lambda: browser.find("#feed-notice").is_displayed(), "the page says the feed was reloaded", timeout=30)
            browser.wait(lambda: browser.item_with_text("#activity-list li", "Missed 7"), "the reloaded feed holds the newest event")
            browser.wait(lambda: browser.item_with_text("#desktop-list li", "Missed 7"), "the lists were reloaded too")
            check(not browser.item_with_text("#activity-list li", "Seen before"), "the feed starts afresh")
            browser.wait(lambda: browser.find("#stream-status").text.startswith("Live"), "the feed is live again")
            browser.check_state("activity-after-reset")
        finally:
            browser.driver.execute_cdp_cmd(
                "Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
            )
            browser.server = main
            other.stop()


TESTS = [
    test_served_from_the_binary,
    test_sign_in_page,
    test_provider_buttons,
    test_sign_in_paths,
    test_sign_in_failure_page,
    test_api_keys,
    test_key_options,
    test_roll_key,
    test_key_usage,
    test_unused_key_badge,
    test_key_errors,
    test_desktops_and_tasks,
    test_live_activity,
    test_feed_resumes_after_restart,
    test_rate_limit_message,
    test_sign_out,
    test_feed_reset,
]


def run(tests, browser, server, context, failures):
    """Runs `tests` in order; the first failure ends the run (later tests build on earlier ones' state)."""
    for test in tests:
        started = time.monotonic()
        try:
            test(browser, server, context)
            print(f"ok    {test.__name__} ({time.monotonic() - started:.1f} s)")
        except Exception as error:
            failures.append(test.__name__)
            print(f"FAIL  {test.__name__}: {error}", file=sys.stderr)
            if not isinstance(error, Failure):
                traceback.print_exc()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            browser.driver.save_screenshot(str(SCREENSHOTS / f"failure-{test.__name__}.png"))
            return


PROVIDER_DISPLAY_NAME = "Test SSO"


class Provider:
    """A running `bureau-test-provider`: the fake OpenID provider, and the variables that configure it."""

    def __init__(self, process, issuer, secret):
        self.process = process
        self.environment = {
            "BUREAU_AUTH_OIDC_TEST_ISSUER": issuer,
            "BUREAU_AUTH_OIDC_TEST_CLIENT_ID": "bureau-browser-test",
            "BUREAU_AUTH_OIDC_TEST_CLIENT_SECRET": secret,
            "BUREAU_AUTH_OIDC_TEST_DISPLAY_NAME": PROVIDER_DISPLAY_NAME,
        }

    def stop(self):
        # It exits when its standard input closes.
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_provider(executable):
    """Starts the fake OpenID provider, which signs EMAIL in (verified) at its authorization endpoint."""
    if not os.access(executable, os.X_OK):
        raise Failure(f"No bureau-test-provider at {executable}: build the package with its tests (swift build --build-tests).")
    secret = os.urandom(24).hex()
    process = subprocess.Popen(
        [str(executable), "--email", EMAIL, "--name", "Browser Test", "--client-id", "bureau-browser-test", "--client-secret", secret],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    first = {}
    reader = threading.Thread(target=lambda: first.setdefault("line", process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(30)
    issuer = first.get("line", b"").decode().strip()
    if not issuer.startswith("http://127.0.0.1:"):
        process.kill()
        raise Failure(f"bureau-test-provider did not start: {issuer!r}")
    return Provider(process, issuer, secret)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(REPOSITORY / ".build" / "debug" / "bureau"), help="the bureau executable")
    arguments = parser.parse_args()
    chromium, driver = require_tools()
    binary = Path(arguments.binary)
    if not os.access(binary, os.X_OK):
        print(f"No bureau executable at {binary}: build it first (swift build).", file=sys.stderr)
        return 1

    failures = []
    # This run's screenshots only.
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    provider = start_provider(binary.parent / "bureau-test-provider")
    with tempfile.TemporaryDirectory(prefix="bureau-browser-") as directory:
        environment = dict(provider.environment, BUREAU_AUTH_MAX_KEY_LIFETIME_DAYS=str(MAX_KEY_LIFETIME_DAYS))
        server = Server(binary, Path(directory), EXTRA_CONFIG, environment)
        server.command("users", "add", "--email", EMAIL)
        # The script's own key, printed once by `keys create`; it stays in this process's memory.
        script_key = server.command("keys", "create", "--user", EMAIL, "--name", "Script key", "--bcrypt-cost", "4").strip()
        check(KEY_PATTERN.fullmatch(script_key), "keys create printed a key")
        server.start()
        print(f"bureau serving on {server.base}")
        try:
            browser = Browser(chromium, driver, server)
            try:
                run(TESTS, browser, server, {"script_key": script_key}, failures)
            finally:
                browser.quit()
        finally:
            server.stop()
            provider.stop()
    if failures:
        print(f"browser test failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    print(f"browser test passed: {len(TESTS)} tests; screenshots in {SCREENSHOTS.relative_to(REPOSITORY)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
