// The browser check's driver (started by scripts/browser-check.sh): walks the web app's main
// journeys in headless Chromium, runs axe-core on every page, fails on console errors and CSP
// violations and on a layout wider than 360 px, and saves a screenshot of every page.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(process.env.AXE);
const { chromium } = require("playwright-core");
const axeSource = readFileSync(process.env.AXE, "utf8");
const base = process.env.BASE_URL;
const shots = process.env.SHOTS;
const problems = [];
const email = `browser-${Date.now()}@example.com`;
const password = "a calm password";

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
const page = await context.newPage();
page.on("console", (message) => {
  if (message.type() === "error") problems.push(`console error on ${page.url()}: ${message.text()}`);
});
page.on("pageerror", (error) => problems.push(`script error on ${page.url()}: ${error.message}`));

/** axe-core on the current page; serious and critical violations are problems. */
async function audit(name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  for (const v of result.violations) {
    if (v.impact === "serious" || v.impact === "critical") {
      const where = v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ");
      problems.push(`axe ${v.impact} on ${name}: ${v.id} (${v.help}) at ${where}`);
    }
  }
}

/** A screenshot of the first screenful at 1000 px, for the README (docs/screenshots/). */
async function readmeShot(name) {
  await page.setViewportSize({ width: 1000, height: 720 });
  await page.screenshot({ path: `${shots}/readme-${name}.png` });
  await page.setViewportSize({ width: 1200, height: 900 });
}

/** The current page: axe, a screenshot, then the same page at 360 px, which must not scroll sideways. */
async function check(name) {
  if (!page.url().startsWith(base)) problems.push(`${name}: left the app for ${page.url()}`);
  await audit(name);
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  if (overflow > 360) problems.push(`${name}: ${overflow} px wide at a 360 px viewport`);
  await page.screenshot({ path: `${shots}/${name}-360.png`, fullPage: true });
  await page.setViewportSize({ width: 1200, height: 900 });
  console.log(`ok    ${name}`);
}

async function go(path, name) {
  const response = await page.goto(base + path);
  if (!response.ok()) {
    problems.push(`${name}: HTTP ${response.status()}: ${(await response.text()).slice(0, 300)}`);
  }
  await check(name);
}

/** Some weeks of back-dated entries through the API, so the dashboard has a history to show. */
async function seedHistory() {
  const login = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  const { token } = await login.json();
  const texts = [
    "Slept well and had a lovely breakfast with friends",
    "Work was stressful and I felt tired all day",
    "A quiet, ordinary day",
    "Went for a run in the park, felt great afterwards",
    "Argued with my brother and felt awful",
    "Finished the book I loved, happy and calm",
    "Rainy and grey, a bit low",
  ];
  for (let day = 40; day >= 1; day -= 1) {
    if (day % 5 === 3) continue;
    const date = new Date(Date.now() - day * 86400000).toISOString();
    const response = await fetch(`${base}/api/journal/entries`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ text: texts[day % texts.length], date, tags: [day % 2 ? "work" : "home"] }),
    });
    if (!response.ok) problems.push(`seeding an entry: HTTP ${response.status}`);
  }
}

try {
  await go("/", "welcome");
  // Keyboard: the first Tab reaches the skip link.
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.className);
  if (focused !== "skip") problems.push(`the first Tab focuses "${focused}", not the skip link`);

  await go("/signup", "signup");
  await page.fill("#first_name", "Robin");
  await page.fill("#last_name", "Hart");
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL(`${base}/journal`), page.click("button[type=submit]")]);
  await seedHistory();

  await page.goto(`${base}/journal`);
  await page.fill("#text", "Walked by the river after work and felt calm and happy");
  await page.fill("#tags", "walk, outdoors");
  await page.waitForTimeout(1200); // the live analysis answers while typing
  await Promise.all([page.waitForURL(`${base}/journal`), page.click("form[action='/journal'] button[type=submit]")]);
  await check("journal");
  await readmeShot("journal");

  await Promise.all([page.waitForURL(/\/journal\/\d+$/), page.click("ol.entries li:first-child a")]);
  await check("entry");

  await go("/dashboard", "dashboard");
  await readmeShot("dashboard");
  await go("/dashboard?days=90", "dashboard-90");
  await go("/assessments", "assessments");
  await go("/assessments/1", "phq9");
  for (let n = 1; n <= 9; n += 1) await page.check(`#q${n}-${n === 9 ? 1 : n % 2}`);
  await Promise.all([page.waitForURL(/\/results\/\d+$/), page.click("main form button[type=submit]")]);
  await check("phq9-result");
  const crisisFirst = await page.evaluate(() => {
    const crisis = document.querySelector(".crisis");
    const score = document.querySelector(".score");
    return !!crisis && !!score && !!(crisis.compareDocumentPosition(score) & Node.DOCUMENT_POSITION_FOLLOWING);
  });
  if (!crisisFirst) problems.push("PHQ-9 item 9 > 0: the crisis resources are not before the score");

  await go("/analyze", "analyze");
  await page.fill("#text", "I am so grateful for my friends");
  await Promise.all([page.waitForLoadState("load"), page.click("form[action='/analyze'] button[type=submit]")]);
  await check("analyze-result");

  await go("/profile", "profile");
  await go("/account", "account");
  await Promise.all([page.waitForURL(`${base}/signin`), page.click("nav form button")]);
  await check("signin");
} catch (error) {
  const text = await page.evaluate(() => document.body && document.body.innerText.slice(0, 400)).catch(() => "");
  problems.push(`the walk stopped at ${page.url()}: ${error.stack || error}\n    the page said: ${text}`);
} finally {
  await browser.close();
}

if (problems.length) {
  console.error(`browser-check: FAIL (${problems.length} problems)`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log("browser-check: all pages pass");
