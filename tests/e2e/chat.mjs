// End-to-end test of the chat example in a real browser (Debian's /usr/bin/chromium driven by
// playwright-core; no browser download).
//
//   bash .ci/install-e2e.sh                                   # chromium + npm ci, once
//   cargo run --release --example chat -- --addr 127.0.0.1:8080 &
//   CHAT_URL=http://127.0.0.1:8080/ CHAT_SCREENSHOT=/tmp/chat.png node tests/e2e/chat.mjs
//
// Env: CHAT_URL (default http://127.0.0.1:8080/), CHAT_SCREENSHOT (optional PNG path for a
// screenshot of page A at the end), CHROMIUM (default /usr/bin/chromium).
// Two browser contexts (two independent "people") join the room, chat, and one leaves. Every wait
// is bounded; the last line printed is exactly `chat e2e: N passed, N failed`; exit code 0 or 1.
import { chromium } from 'playwright-core';

const URL_ = process.env.CHAT_URL || 'http://127.0.0.1:8080/';
const SCREENSHOT = process.env.CHAT_SCREENSHOT || '';
const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT_MS = 10_000;
const OVERALL_MS = 120_000;

const suffix = Math.random().toString(36).slice(2, 7);
const ALICE = `alice-${suffix}`;
const BOB = `bob-${suffix}`;

let passed = 0;
let failed = 0;
let stopped = false;          // after a failed step the rest cannot run meaningfully
const pageErrors = [];

function finish(code) {
  console.log(`chat e2e: ${passed} passed, ${failed} failed`);
  process.exit(code ?? (failed === 0 && passed > 0 ? 0 : 1));
}

const watchdog = setTimeout(() => {
  console.log(`FAIL  the whole test took longer than ${OVERALL_MS / 1000} s`);
  failed++;
  finish(1);
}, OVERALL_MS);

async function step(name, fn, { always = false } = {}) {
  if (stopped && !always) {
    failed++;
    console.log(`FAIL  ${name} (not run: an earlier step failed)`);
    return;
  }
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok    ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    stopped = true;
    const msg = String(e && e.message ? e.message : e).replace(/\x1b\[[0-9;]*m/g, '').trimEnd();
    console.log(`FAIL  ${name}\n      ${msg.split('\n').join('\n      ')}`);
  }
}

// A short description of what a page shows, for failure messages.
async function describe(page) {
  try {
    return await page.evaluate(() => {
      const q = (s) => document.querySelector(s);
      const lines = [...document.querySelectorAll('#messages > *')].slice(-6).map((n) => {
        if (n.classList.contains('msg')) {
          return `msg ${JSON.stringify(n.querySelector('.from')?.textContent)}: ${JSON.stringify(n.querySelector('.text')?.textContent)}`;
        }
        return `${n.className} ${JSON.stringify(n.textContent)}`;
      });
      return [
        `status=${JSON.stringify(q('#status')?.textContent)}`,
        `join-view hidden=${q('#join-view')?.hidden} chat-view hidden=${q('#chat-view')?.hidden}`,
        `join-error=${JSON.stringify(q('#join-error')?.textContent ?? null)}`,
        `users=${JSON.stringify([...document.querySelectorAll('#users li .name')].map((n) => n.textContent))}`,
        `last lines: ${lines.length ? '\n  ' + lines.join('\n  ') : '(none)'}`,
      ].join('\n');
    });
  } catch (e) {
    return `(page not readable: ${e.message})`;
  }
}

async function waitFor(page, label, what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: WAIT_MS, polling: 50 });
  } catch (e) {
    const why = /Timeout/i.test(e.message) ? `not seen within ${WAIT_MS / 1000} s` : e.message.split('\n')[0];
    throw new Error(`page ${label}: ${what}: ${why}\npage ${label} shows:\n${await describe(page)}`);
  }
}

const usersInclude = (page, label, name) => waitFor(page, label, `user list contains ${JSON.stringify(name)}`,
  (n) => [...document.querySelectorAll('#users li .name')].some((e) => e.textContent === n), name);
const usersExclude = (page, label, name) => waitFor(page, label, `user list no longer contains ${JSON.stringify(name)}`,
  (n) => ![...document.querySelectorAll('#users li .name')].some((e) => e.textContent === n), name);
const systemLine = (page, label, text) => waitFor(page, label, `system line ${JSON.stringify(text)} in #messages`,
  (t) => [...document.querySelectorAll('#messages .system')].some((e) => e.textContent.trim() === t), text);
const chatMessage = (page, label, from, text) => waitFor(page, label, `message ${JSON.stringify(text)} from ${JSON.stringify(from)} in #messages`,
  ([f, t]) => [...document.querySelectorAll('#messages .msg')].some(
    (m) => m.querySelector('.from')?.textContent === f && m.querySelector('.text')?.textContent === t), [from, text]);
const status = (page, label, s) => waitFor(page, label, `#status reads ${JSON.stringify(s)}`,
  (x) => document.querySelector('#status')?.textContent.trim() === x, s);

async function open(browser, label) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (e) => pageErrors.push(`page ${label}: uncaught ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`page ${label}: console error: ${m.text()}`); });
  const resp = await page.goto(URL_, { waitUntil: 'load', timeout: WAIT_MS });
  if (!resp || !resp.ok()) throw new Error(`GET ${URL_} answered ${resp ? resp.status() : 'nothing'}`);
  return { context, page, label };
}

async function join(p, name) {
  await p.page.fill('#name', name);
  await p.page.click('#join');
  await status(p.page, p.label, 'connected');
  await waitFor(p.page, p.label, 'chat view shown after joining',
    () => document.querySelector('#chat-view') && !document.querySelector('#chat-view').hidden);
  await usersInclude(p.page, p.label, name);
}

async function say(p, text, { enter = false } = {}) {
  await p.page.fill('#input', text);
  if (enter) await p.page.press('#input', 'Enter');
  else await p.page.click('#send');
  await waitFor(p.page, p.label, 'input cleared after sending', () => document.querySelector('#input').value === '');
}

let browser;
let A, B, C;
try {
  console.log(`chat e2e: ${URL_} with ${EXECUTABLE}; names ${ALICE}, ${BOB}`);
  await step('launch chromium', async () => {
    browser = await chromium.launch({
      executablePath: EXECUTABLE,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 30_000,
    });
  });
  await step('pages A and B load the chat page (separate browser contexts)', async () => {
    A = await open(browser, 'A');
    B = await open(browser, 'B');
    for (const p of [A, B]) {
      await waitFor(p.page, p.label, 'name form shown with #name, #join and #status "disconnected"',
        () => !!document.querySelector('#name') && !!document.querySelector('#join')
          && document.querySelector('#status')?.textContent.trim() === 'disconnected');
    }
  });
  await step(`B joins as ${BOB}`, () => join(B, BOB));
  await step(`A joins as ${ALICE} and its user list (from "welcome") has both`, async () => {
    await join(A, ALICE);
    await usersInclude(A.page, 'A', BOB);
  });
  await step(`B sees A's join: ${ALICE} in B's user list and a "joined" system line`, async () => {
    await usersInclude(B.page, 'B', ALICE);
    await systemLine(B.page, 'B', `${ALICE} joined`);
  });
  const hello = `hello from alice ${suffix}`;
  await step('A sends a message (Send button); it appears in B and in A', async () => {
    await say(A, hello);
    await chatMessage(B.page, 'B', ALICE, hello);
    await chatMessage(A.page, 'A', ALICE, hello);
  });
  const reply = `hi alice, bob here ${suffix}`;
  await step('B replies with the Enter key; it appears in A', async () => {
    await say(B, reply, { enter: true });
    await chatMessage(A.page, 'A', BOB, reply);
  });
  const nasty = `<img src=x onerror="window.__pwned=1"><b>bold?</b> & "quotes" ${suffix}`;
  await step('user text is shown as text, never as HTML', async () => {
    await say(A, nasty);
    await chatMessage(B.page, 'B', ALICE, nasty);
    const bad = await B.page.evaluate(() => ({
      pwned: window.__pwned === 1,
      elements: document.querySelectorAll('#messages .text img, #messages .text b').length,
    }));
    if (bad.pwned || bad.elements) throw new Error(`page B rendered user HTML: ${JSON.stringify(bad)}`);
  });
  await step(`a third person joining as ${ALICE} is refused with an error on the name form`, async () => {
    C = await open(browser, 'C');
    await C.page.fill('#name', ALICE);
    await C.page.click('#join');
    await waitFor(C.page, 'C', '#join-error shows the server\'s error and the name form stays',
      () => (document.querySelector('#join-error')?.textContent.trim() || '') !== ''
        && !document.querySelector('#join-view').hidden && document.querySelector('#chat-view').hidden);
    await status(C.page, 'C', 'disconnected');
    await C.context.close();
    C = null;
  });
  await step(`the refused join left A's user list alone (${ALICE} listed once)`, async () => {
    const names = await A.page.evaluate(() => [...document.querySelectorAll('#users li .name')].map((e) => e.textContent));
    if (names.filter((n) => n === ALICE).length !== 1) throw new Error(`page A user list: ${JSON.stringify(names)}`);
  });
  await step('B closes its page; A shows the leave line and drops B from the user list', async () => {
    await B.context.close();
    B = null;
    await systemLine(A.page, 'A', `${BOB} left`);
    await usersExclude(A.page, 'A', BOB);
    await status(A.page, 'A', 'connected');
  });
  if (SCREENSHOT && A) {
    // Taken even after a failure: it shows what page A looked like at that point.
    await step(`screenshot of page A to ${SCREENSHOT}`, () => A.page.screenshot({ path: SCREENSHOT }), { always: true });
  }
  await step('no uncaught errors, console errors or CSP violations on any page', async () => {
    if (pageErrors.length) throw new Error(pageErrors.join('\n'));
  });
} catch (e) {
  failed++;
  console.log(`FAIL  unexpected error: ${e && e.stack ? e.stack : e}`);
} finally {
  clearTimeout(watchdog);
  if (browser) await browser.close().catch(() => {});
}
finish();
