// The web console in a real browser (headless Chromium through
// puppeteer-core), driven by test_console_browser.py, which starts the
// relay, fills it through the API and passes what it made in CONSOLE_TEST
// (JSON): {base, tenant, key, admin_key, order_ref, xss_order_id,
// dead_message_id, marker, artifacts}. It signs in, finds the order, opens
// its timeline, reads and downloads a body, retries a dead letter until it
// is delivered, visits every view (a screenshot of each), then signs in as
// the operator. All along it watches for script that should not run: the
// stored payloads call window.__xss if they ever execute, the page reports
// CSP violations, and after each view the DOM is searched for elements or
// attributes the payloads would have made. Prints a JSON report; exits
// non-zero on any failure.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const puppeteer = require("puppeteer-core");

const cfg = JSON.parse(process.env.CONSOLE_TEST);
const WAIT = {timeout: 15000};
const report = {screenshots: [], xss_calls: [], csp_violations: [], page_errors: [], dom_findings: [], steps: []};
const started = Date.now();

function step(name) {
  report.steps.push([name, Date.now() - started]);
}

async function shot(page, name) {
  const file = path.join(cfg.artifacts, name + ".png");
  await page.screenshot({path: file, fullPage: true});
  report.screenshots.push(file);
}

// Elements and attributes the payloads would have created had any of them
// been parsed as markup, and scripts that are not the console's own.
async function checkDom(page, label) {
  const found = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll("*")) {
      for (const a of el.getAttributeNames()) if (/^on/i.test(a)) out.push(el.tagName + "[" + a + "]");
      if (el.tagName === "IMG") out.push("IMG " + el.getAttribute("src"));
      if (el.tagName === "SCRIPT" && el.getAttribute("src") !== "/console/app.js") out.push("SCRIPT " + el.outerHTML);
      if (el.tagName === "IFRAME" || el.tagName === "OBJECT" || el.tagName === "EMBED") out.push(el.tagName);
      const href = el.getAttribute("href");
      if (href && /^\s*javascript:/i.test(href)) out.push("href " + href);
    }
    return out;
  });
  for (const f of found) report.dom_findings.push(label + ": " + f);
}

async function view(page, hash, selector, name) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForSelector(selector, WAIT);
  await checkDom(page, name);
  await shot(page, name);
  step(name);
}

async function signIn(page, form, fields) {
  for (const [sel, value] of Object.entries(fields)) {
    await page.$eval(sel, (el) => { el.value = ""; });
    await page.type(sel, value);
  }
  await page.click(form + " button[type=submit]");
}

async function run(browser, downloads) {
  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 900});
  await page.exposeFunction("__xss", (what) => report.xss_calls.push(String(what)));
  await page.evaluateOnNewDocument(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__violations = (window.__violations || []).concat(e.violatedDirective + " " + e.blockedURI);
    });
  });
  page.on("pageerror", (e) => report.page_errors.push(String(e.message || e)));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const where = (m.location() && m.location().url) || "";
    // the wrong key tried on purpose below: Chromium logs its 401
    if (where.endsWith("/ops/tenants") && m.text().includes("401")) report.refused_signin = (report.refused_signin || 0) + 1;
    else report.page_errors.push("console: " + m.text() + " " + where);
  });
  const urls = [];
  page.on("request", (r) => urls.push(r.url()));
  const cdp = await page.createCDPSession();
  await cdp.send("Browser.setDownloadBehavior", {behavior: "allow", downloadPath: downloads});

  // sign in: a wrong key is refused, the right one opens the orders
  await page.goto(cfg.base + "/console/", {waitUntil: "domcontentloaded"});
  await page.waitForSelector("#signin-tenant", WAIT);
  await shot(page, "01-signin");
  await signIn(page, "#signin-tenant", {"#tenant-id": cfg.tenant, "#api-key": "not-the-key-0123456789"});
  await page.waitForSelector("#signin-status .note-error", WAIT);
  await signIn(page, "#signin-tenant", {"#tenant-id": cfg.tenant, "#api-key": cfg.key});
  await page.waitForSelector("[data-view=orders] #orders-table", WAIT);
  await checkDom(page, "orders");
  report.orders_show_marker = await page.$eval("#orders-table", (t, m) => t.textContent.includes(m), cfg.marker);
  await shot(page, "02-orders");
  step("orders");

  // filters: allocated orders created today are the payload order only
  await page.select("#f-status", "allocated");
  await page.$eval("#f-from", (el) => { el.value = new Date().toISOString().slice(0, 10); });
  await page.$eval("#f-to", (el) => { el.value = new Date().toISOString().slice(0, 10); });
  await page.click("#order-search button[type=submit]");
  await page.waitForFunction(() => location.hash.includes("status=allocated") &&
    document.querySelectorAll("#orders-table tbody tr").length === 1, WAIT);
  report.filtered = await page.$eval("#orders-table tbody", (t, m) => t.textContent.includes(m), cfg.marker);
  await page.evaluate(() => { location.hash = "#/orders"; });
  await page.waitForFunction(() => !location.hash.includes("status") && document.querySelector("#f-reference"), WAIT);

  // find the order by its reference, open its timeline
  await page.type("#f-reference", cfg.order_ref);
  await page.click("#order-search button[type=submit]");
  await page.waitForSelector("[data-view=order] #order-reference", WAIT);
  report.order_reference = await page.$eval("#order-reference", (e) => e.textContent);
  await page.waitForSelector("ol.timeline li", WAIT);
  report.timeline = await page.$$eval("ol.timeline li .badge", (b) => b.map((x) => x.textContent));
  await checkDom(page, "order");
  await shot(page, "03-order-timeline");
  step("order");

  // the creating request's system-log entry: its body shown, then downloaded
  await page.click(".syslog-open");
  await page.waitForSelector(".syslog-details .view-body[data-part=request]", WAIT);
  await page.click(".view-body[data-part=request]");
  await page.waitForFunction(() => {
    const pre = document.querySelector("pre.body[data-part=request]");
    return pre && !pre.hidden && pre.textContent.length > 0;
  }, WAIT);
  report.body_shown = await page.$eval("pre.body[data-part=request]", (e) => e.textContent);
  await page.click(".download-body[data-part=request]");
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline && !fs.readdirSync(downloads).some((f) => !f.endsWith(".crdownload"))) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const got = fs.readdirSync(downloads).filter((f) => !f.endsWith(".crdownload"));
  report.downloaded = got.length ? fs.readFileSync(path.join(downloads, got[0]), "utf8") : null;
  await checkDom(page, "system-log");
  await shot(page, "04-system-log-body");
  step("body");

  // a dead letter, retried until delivered
  await view(page, "#/dead", "#dead-table", "05-dead-letters");
  const row = `#dead-table tr[data-message="${cfg.dead_message_id}"]`;
  await page.click(row + " button.retry");
  await page.waitForFunction((sel) => {
    const cell = document.querySelector(sel + " .msg-status");
    return cell && cell.textContent.trim() === "delivered";
  }, WAIT, row);
  report.retried = "delivered";
  report.retried_row = await page.$eval(row, (r) => [r.querySelector(".msg-attempts").textContent,
    r.querySelector(".msg-last").textContent]);
  await shot(page, "06-dead-letter-delivered");
  step("retry");

  await view(page, "#/webhooks", "#endpoints-table", "07-webhooks");
  await page.click("#endpoints-table a.endpoint-link");
  await page.waitForSelector("#delivery-chart svg circle", WAIT);
  await page.click("#messages-table button.show-attempts");
  await page.waitForSelector(".attempts-row table.attempts", WAIT);
  // recover: the other dead letter is sent again
  await page.$eval("#recover-since", (el) => { el.value = "2020-01-01T00:00"; });
  await page.click("#recover button[type=submit]");
  await page.waitForFunction(() => /queued/.test(document.querySelector(".recover-result").textContent), WAIT);
  report.recovered = await page.$eval(".recover-result", (e) => e.textContent);
  await checkDom(page, "endpoint");
  await shot(page, "08-endpoint-chart-messages");
  step("endpoint");
  await view(page, "#/stuck", "#stuck-table", "09-stuck");
  await view(page, "#/hooks", "#hooks-table", "10-hooks");
  report.hook_error_shown = await page.$eval("#hooks-table td.last-error", (e) => e.textContent.includes("JSON"));
  await view(page, "#/health", "#health", "11-health");

  // the order whose every free-text field holds the payloads, with its entries' details and bodies
  await view(page, "#/order/" + encodeURIComponent(cfg.xss_order_id), "[data-view=order] #system-logs", "12-payloads");
  const entries = await page.$$eval(".syslog-open", (b) => b.map((x) => x.dataset.identifier));
  for (const id of entries) {
    await page.click(`.syslog-open[data-identifier="${id}"]`);
    await page.waitForSelector(`.syslog-details[data-identifier="${id}"]`, WAIT);
    await page.$$eval(".syslog-details .view-body", (b) => b.forEach((x) => x.click()));
    await page.waitForFunction(() => [...document.querySelectorAll("pre.body")].every((p) => !p.hidden), WAIT);
    await checkDom(page, "payload entry " + id);
  }
  report.payload_text_shown = await page.evaluate((m) => document.body.textContent.split(m).length - 1, cfg.marker);
  await shot(page, "13-payload-bodies");
  step("payloads");

  // the operator: every tenant, chosen in the header
  await page.click("#sign-out");
  await page.waitForSelector("#signin-operator", WAIT);
  await signIn(page, "#signin-operator", {"#admin-key": cfg.admin_key});
  await page.waitForSelector("#tenant-picker", WAIT);
  report.operator_tenants = await page.$$eval("#tenant-picker option", (o) => o.map((x) => x.value));
  // beta's 27 orders, 25 a page
  await page.select("#tenant-picker", "beta");
  await page.waitForFunction(() => document.querySelectorAll("#orders-table tbody tr").length === 25, WAIT);
  await page.click("#next-page");
  await page.waitForFunction(() => document.querySelectorAll("#orders-table tbody tr").length === 2 &&
    document.querySelector("#first-page"), WAIT);
  report.second_page = await page.$$eval("#orders-table tbody tr .order-link", (a) => a.map((x) => x.textContent));
  await page.select("#tenant-picker", cfg.tenant);
  await page.waitForSelector("[data-view=orders] #orders-table", WAIT);
  await view(page, "#/hooks", "#hooks-table", "14-operator-hooks");
  step("operator");

  // a tenant that requires OAuth2: its key alone is refused, with its client it signs in
  await page.click("#sign-out");
  await page.waitForSelector("#signin-tenant", WAIT);
  await signIn(page, "#signin-tenant", {"#tenant-id": cfg.oauth.tenant, "#api-key": cfg.oauth.key});
  await page.waitForSelector("#signin-status .note-error", WAIT);
  await page.click("#signin-tenant details.oauth summary");
  await signIn(page, "#signin-tenant", {"#client-id": cfg.oauth.client_id, "#client-secret": cfg.oauth.client_secret});
  await page.waitForSelector("[data-view=orders]", WAIT);
  report.oauth_tenant = await page.$eval("#who-tenant", (e) => e.textContent);
  report.secret_kept = await page.evaluate((x) => JSON.stringify(sessionStorage).includes(x), cfg.oauth.client_secret);
  step("oauth");

  report.csp_violations = await page.evaluate(() => window.__violations || []);
  report.key_in_url = urls.filter((u) => u.includes(cfg.key) || u.includes(cfg.admin_key));
  report.session_storage_only = await page.evaluate(() => localStorage.length === 0 && document.cookie === "");
  await page.close();
}

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "console-chromium-"));
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), "console-downloads-"));
  fs.mkdirSync(cfg.artifacts, {recursive: true});
  const watchdog = setTimeout(() => {
    report.error = "timed out";
    console.log(JSON.stringify(report));
    process.exit(3);
  }, 90000);
  let browser;
  let code = 0;
  try {
    browser = await puppeteer.launch({
      executablePath: "/usr/bin/chromium",
      headless: true,
      userDataDir: profile,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    await run(browser, downloads);
  } catch (e) {
    report.error = String(e && e.stack || e);
    code = 1;
  } finally {
    if (browser) await browser.close().catch(() => {});
    fs.rmSync(profile, {recursive: true, force: true});
    fs.rmSync(downloads, {recursive: true, force: true});
    clearTimeout(watchdog);
  }
  console.log(JSON.stringify(report));
  process.exit(code);
})();
