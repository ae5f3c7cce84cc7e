// The dashboard in a real headless browser: Debian's chromium driven by playwright-core.
// Starts nothing itself: scripts/ui/run.sh seeds and serves a node and sets
//   PACIFIC_URL    the node, e.g. http://127.0.0.1:9001
//   PACIFIC_TOKEN  a reader's API token
//   PACIFIC_ANALYST_TOKEN  an analyst's API token (the indicator editor)
//   UI_ARTEFACTS   where the screenshots go (target/ui-artefacts)
// Logs in, opens each page, checks that the chart and the tables show the seeded data, and
// saves a screenshot of each page. The last line is "ui: N passed, N failed".
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BASE = process.env.PACIFIC_URL;
const TOKEN = process.env.PACIFIC_TOKEN;
const ANALYST = process.env.PACIFIC_ANALYST_TOKEN;
const OUT = process.env.UI_ARTEFACTS || "../../target/ui-artefacts";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
if (!BASE || !TOKEN || !ANALYST) {
  console.error("set PACIFIC_URL, PACIFIC_TOKEN and PACIFIC_ANALYST_TOKEN (scripts/ui/run.sh does)");
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });

let passed = 0;
let failed = 0;
async function check(name, fn) {
  const started = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed += 1;
    console.log(`not ok - ${name}: ${e && e.message ? e.message.split("\n")[0] : e}`);
  }
}
function expect(cond, what) {
  if (!cond) throw new Error(what);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  // As root, without a sandbox; and no background connections out of this closed machine.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
context.setDefaultTimeout(10_000);
const page = await context.newPage();
// Anything the CSP blocks (an inline script or style) or a script error is a failure; so is an
// alert: the seeded data holds an indicator named "<img src=x onerror=alert(1)> scanner".
const problems = [];
page.on("console", (m) => {
  if (m.type() === "error") problems.push(m.text());
});
page.on("pageerror", (e) => problems.push(String(e)));
page.on("dialog", async (d) => {
  problems.push(`dialog: ${d.message()}`);
  await d.dismiss();
});
// Reloads the page until `ready()` holds (the outbox and the log publisher run every few
// seconds in the node), at most `seconds`.
async function until(ready, seconds = 30) {
  const end = Date.now() + seconds * 1000;
  while (!(await ready())) {
    if (Date.now() > end) return;
    await page.waitForTimeout(500);
    await page.reload();
  }
}
const shot = (name) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
const rows = (selector) => page.locator(`${selector} tbody tr`).count();
const text = (selector) => page.locator(selector).innerText();

await check("without a session every page goes to /login", async () => {
  for (const path of ["/", "/objects", "/peers", "/requests", "/disputes", "/jurisdiction-registry", "/log"]) {
    await page.goto(BASE + path);
    expect(new URL(page.url()).pathname === "/login", `${path} ended at ${page.url()}`);
  }
  await shot("login");
});

await check("a wrong token is refused with an error", async () => {
  await page.fill("#token", "pac_000000000000_wrong");
  await page.click("button[type=submit]");
  expect(await page.locator("#login-error").isVisible(), "no error shown");
});

await check("login with the token opens the overview", async () => {
  await page.fill("#user", "");
  await page.fill("#token", TOKEN);
  await Promise.all([page.waitForURL(BASE + "/"), page.click("button[type=submit]")]);
  expect((await text("#user")).includes("rita (reader)"), "user not shown");
  await page.waitForFunction(() => document.body.dataset.js === "ready");
});

await check("overview: the chart has a bar per day and the seeded matches", async () => {
  const bars = page.locator("#matches-chart rect.bar");
  expect((await bars.count()) === 30, `${await bars.count()} bars`);
  const counts = await bars.evaluateAll((els) => els.map((e) => Number(e.dataset.count)));
  const nonEmpty = counts.filter((n) => n > 0).length;
  expect(nonEmpty >= 14, `${nonEmpty} days with matches, expected 14`);
  const heights = await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute("height"))));
  expect(Math.max(...heights) > 50, "the tallest bar is flat");
  // The accessible table says the same as the chart.
  const total = counts.reduce((a, b) => a + b, 0);
  const tableTotal = await page
    .locator("#matches-table tbody td.num")
    .evaluateAll((els) => els.reduce((a, e) => a + Number(e.textContent), 0));
  expect(total === tableTotal, `chart ${total} vs table ${tableTotal}`);
  // Hovering a bar highlights its row (the page's script).
  const last = bars.last();
  await last.hover();
  const day = await last.getAttribute("data-day");
  expect(
    (await page.locator(`#matches-table tr[data-day="${day}"]`).getAttribute("class")) === "hl",
    "hovering a bar did not highlight its row",
  );
});

await check("overview: top indicators, top sectors and incidents", async () => {
  const indicators = await text("#top-indicators");
  expect(indicators.includes("Grid C2 address"), "Grid C2 address not in the top indicators");
  expect(indicators.includes("<img src=x onerror=alert(1)> scanner"), "hostile name not shown as text");
  const sectors = await text("#top-sectors");
  for (const s of ["energy", "water"]) expect(sectors.includes(s), `sector ${s} missing`);
  expect((await rows("#incidents")) >= 2, "fewer than 2 incidents");
  const incidents = await text("#incidents");
  expect(incidents.includes("North grid") && incidents.includes("City water"), "incident assets missing");
  await shot("overview");
});

await check("objects: the browser lists the seeded objects and filters them", async () => {
  await page.click("nav >> text=Objects");
  await page.waitForURL(/\/objects$/);
  const all = await text("#objects");
  for (const s of ["Grid C2 address", "Phishing domain", "GridWiper"]) expect(all.includes(s), `${s} missing`);
  await shot("objects");
  await Promise.all([page.waitForURL(/type=malware/), page.selectOption("select[name=type]", "malware")]);
  expect((await rows("#objects")) === 1, "type=malware is not one row");
  expect((await text("#objects")).includes("GridWiper"), "GridWiper missing");
  await page.goto(BASE + "/objects");
  await page.fill("input[name=q]", "scanner");
  await Promise.all([page.waitForURL(/q=scanner/), page.click("form.filters button")]);
  expect((await rows("#objects")) === 1, "q=scanner is not one row");
  expect((await text("#objects")).includes("<img src=x onerror=alert(1)> scanner"), "not shown as text");
  expect((await page.locator("#objects img").count()) === 0, "the name became an element");
  await shot("objects-filtered");
});

await check("peers: the peer, and what was sent and held back with the reasons", async () => {
  await page.click("nav >> text=Peers");
  await page.waitForURL(/\/peers$/);
  const row = page.locator('#peers tr[data-peer="bravo-cert"]');
  await until(async () => (await row.locator("td.withheld").count()) === 1 &&
    Number(await row.locator("td.withheld").innerText()) > 0);
  expect((await row.count()) === 1, "no row for bravo-cert");
  expect((await row.innerText()).includes("Bravo CERT"), "peer name missing");
  const withheld = Number(await row.locator("td.withheld").innerText());
  const sent = Number(await row.locator("td.sent").innerText());
  // The default policy shares nothing: everything is held back, each with its reason.
  expect(withheld >= 1, `held back ${withheld}`);
  expect(sent === 0, `sent ${sent}`);
  expect((await row.locator("td").last().innerText()).trim().length > 0, "no reason shown");
  await shot("peers");
});

await check("requests and disputes: the pages open from the navigation", async () => {
  for (const [label, id] of [["Requests", "requests"], ["Disputes", "disputes"]]) {
    await page.click(`nav >> text=${label}`);
    await page.waitForURL(new RegExp(`/${id}$`));
    const shown = (await page.locator(`#${id}`).count()) + (await page.locator(`#${id}-none`).count());
    expect(shown === 1, `${id}: neither the table nor the empty note`);
    await shot(id);
  }
});

await check("registry: the claim, the lookup box and a claim's page", async () => {
  await page.click("nav >> text=Registry");
  await page.waitForURL(/\/jurisdiction-registry$/);
  expect((await rows("table.claims")) === 1, "the seeded claim is not listed");
  expect((await text("table.claims")).includes("65536 addresses"), "the claim's totals missing");
  await page.fill("#lookup input[name=q]", "45.10.3.4");
  await Promise.all([page.waitForURL(/q=45\.10\.3\.4/), page.click("#lookup button[type=submit]")]);
  const answer = await text("#lookup-answers");
  expect(answer.includes("45.10.0.0/16"), "the lookup names no resource");
  expect(answer.includes("<img src=x onerror=alert(2)> duty desk"), "hostile contact not shown as text");
  await shot("registry");
  await page.fill("#lookup input[name=q]", "203.0.113.7");
  await Promise.all([page.waitForURL(/q=203\.0\.113\.7/), page.click("#lookup button[type=submit]")]);
  expect((await page.locator("#lookup-none").count()) === 1, "no 'no claim answers' note");
  // Input that is no address, AS number or name: an error shown as text (an alert would fail).
  await page.fill("#lookup input[name=q]", "<img src=x onerror=alert(1)>");
  await Promise.all([page.waitForURL(/q=%3Cimg/), page.click("#lookup button[type=submit]")]);
  expect(await page.locator("#lookup-error").isVisible(), "no error for a hostile query");
  await Promise.all([page.waitForURL(/\/jurisdiction-registry\/claims\//), page.click("table.claims a")]);
  expect((await text("#resources")).includes("AS64000"), "the claim's resources missing");
  expect((await text("#evidence")) === "1 line", "the evidence count missing");
  await shot("registry-claim");
});

await check("log: the latest checkpoint and the decoded entries", async () => {
  await page.click("nav >> text=Log");
  await page.waitForURL(/\/log$/);
  await until(async () => (await page.locator("#checkpoint").count()) === 1);
  expect((await text("#checkpoint")).includes("Alpha CERT") || (await text("#checkpoint")).length > 20, "no checkpoint");
  expect((await rows("#log-entries")) >= 10, "fewer than 10 entries");
  const entries = await text("#log-entries");
  for (const kind of ["object-stored", "object-withheld"]) {
    expect(entries.includes(kind), `${kind} missing`);
  }
  await shot("log");
  // More than a page of entries: the pager goes back to the first ones.
  await Promise.all([page.waitForURL(/before=/), page.click("#older")]);
  expect((await text("#log-entries")).includes("user-added"), "user-added missing on the older page");
});

await check("objects: a value finds its indicator, whose page shows it as fields", async () => {
  await page.goto(BASE + "/objects");
  await page.fill("input[name=q]", "203.0.113.7");
  await Promise.all([page.waitForURL(/q=203/), page.click("form.filters button")]);
  expect((await rows("#objects")) === 1, "the value is not in exactly one object");
  expect((await text("#objects-total")).startsWith("1 object matches"), "no total");
  await Promise.all([page.waitForURL(/\/objects\/indicator--/), page.click("#objects a")]);
  const fields = await text("#object-fields");
  expect(fields.includes("[ipv4-addr:value = '203.0.113.7']"), "the pattern is missing");
  await shot("object");
});

await check("a reader sees no write control, and is refused when it posts anyway", async () => {
  await page.goto(BASE + "/objects");
  expect((await page.locator("#new-indicator").count()) === 0, "the reader sees New indicator");
  const form = await page.request.get(BASE + "/objects/new");
  expect(form.status() === 403, `GET /objects/new answered ${form.status()}`);
  // Without the session's form token: refused before the role is even asked.
  const forged = await page.request.post(BASE + "/logout", { form: { csrf: "x" } });
  expect(forged.status() === 403, `a forged logout answered ${forged.status()}`);
  const csrf = await page.locator("header input[name=csrf]").getAttribute("value");
  const posted = await page.request.post(BASE + "/objects/new", {
    form: { csrf, kind: "ipv4", value: "192.0.2.9", tlp: "green", action: "save" },
  });
  expect(posted.status() === 403, `the reader's post answered ${posted.status()}`);
});

await check("an analyst builds a TLP:AMBER indicator, previews the gate and saves it", async () => {
  const analyst = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const p = await analyst.newPage();
  p.on("pageerror", (e) => problems.push(String(e)));
  p.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  await p.goto(BASE + "/login");
  await p.fill("#token", ANALYST);
  await Promise.all([p.waitForURL(BASE + "/"), p.click("button[type=submit]")]);
  await p.goto(BASE + "/objects");
  await Promise.all([p.waitForURL(/\/objects\/new$/), p.click("#new-indicator")]);
  await p.selectOption("select[name=kind]", "domain");
  await p.fill("input[name=value]", "c2.grid-xa.example");
  // Checked live by the node's parser.
  await p.waitForFunction(() => document.getElementById("pattern-status").textContent.includes("domain-name:value"));
  await p.fill("input[name=name]", "GRIDLOCK fallback C2");
  await p.selectOption("select[name=tlp]", "amber");
  await p.check('input[name="to.bravo-cert"]');
  await p.click("button[value=preview]");
  await p.waitForSelector("#gate-preview");
  const decision = await p.locator('#gate-preview tr[data-peer="bravo-cert"]').innerText();
  expect(/sent|held back/.test(decision), `no decision for Bravo: ${decision}`);
  await p.screenshot({ path: join(OUT, "editor-preview.png"), fullPage: true });
  await Promise.all([p.waitForURL(/\/objects\/indicator--/), p.click("button[value=save]")]);
  expect((await p.locator("h1").innerText()).includes("GRIDLOCK fallback C2"), "not on the new object's page");
  expect((await p.locator("#object-fields").innerText()).includes("TLP:AMBER"), "not TLP:AMBER");
  await analyst.close();
});

await check("a phone-sized screen: the header and the tables stay inside the screen", async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const p = await phone.newPage();
  await p.goto(BASE + "/login");
  await p.fill("#token", TOKEN);
  await Promise.all([p.waitForURL(BASE + "/"), p.click("button[type=submit]")]);
  for (const path of ["/", "/objects", "/peers", "/log"]) {
    await p.goto(BASE + path);
    const width = await p.evaluate(() => document.documentElement.scrollWidth);
    expect(width <= 391, `${path} is ${width} px wide on a 390 px screen`);
    for (const sel of ["header nav a[href='/log']", "header button[type=submit]", "#user"]) {
      const box = await p.locator(sel).boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 391, `${sel} is off screen on ${path}`);
    }
    await p.screenshot({ path: join(OUT, `phone${path === "/" ? "-overview" : path.replace("/", "-")}.png`), fullPage: true });
  }
  await phone.close();
});

// Every form control a page shows has an accessible name: a label, an aria-label, or (a
// button) its text — what a screen reader announces.
async function unnamedControls(p) {
  return p.evaluate(() =>
    [...document.querySelectorAll("input:not([type=hidden]), select, textarea, button")]
      .filter((e) => e.offsetParent !== null)
      .filter((e) => !((e.labels && e.labels.length) || e.getAttribute("aria-label") || (e.tagName === "BUTTON" && e.textContent.trim())))
      .map((e) => `${e.tagName.toLowerCase()}[name=${e.getAttribute("name")}]`),
  );
}

await check("every control has an accessible name, and the keyboard reaches the header", async () => {
  const analyst = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const p = await analyst.newPage();
  await p.goto(BASE + "/login");
  expect((await unnamedControls(p)).length === 0, "unnamed controls on /login");
  await p.fill("#token", ANALYST);
  await Promise.all([p.waitForURL(BASE + "/"), p.click("button[type=submit]")]);
  for (const path of ["/", "/objects", "/objects/new", "/objects/import", "/peers", "/policy", "/requests", "/log", "/jurisdiction-registry", "/governance"]) {
    await p.goto(BASE + path);
    const unnamed = await unnamedControls(p);
    expect(unnamed.length === 0, `${path}: ${unnamed.join(", ")}`);
  }
  // From the top of a page, Tab reaches every header link and the logout button in order.
  await p.goto(BASE + "/objects");
  const reached = [];
  for (let i = 0; i < 20; i++) {
    await p.keyboard.press("Tab");
    reached.push(await p.evaluate(() => document.activeElement && (document.activeElement.textContent || "").trim()));
    if (reached[reached.length - 1] === "Log out") break;
  }
  for (const name of ["Overview", "Objects", "Log", "Log out"]) expect(reached.includes(name), `Tab never reached ${name}: ${reached.join(" | ")}`);
  await analyst.close();
});

await check("no CSP violation, script error or dialog on any page", async () => {
  expect(problems.length === 0, problems.join(" | "));
});

await check("logout ends the session", async () => {
  await Promise.all([page.waitForURL(/\/login$/), page.click("header button[type=submit]")]);
  await page.goto(BASE + "/");
  expect(new URL(page.url()).pathname === "/login", `after logout / ended at ${page.url()}`);
});

await browser.close();
console.log(`screenshots in ${OUT}`);
console.log(`ui: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
