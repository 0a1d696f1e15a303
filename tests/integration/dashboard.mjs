// dashboard.mjs BASE PASSWORD SHOTS -- the dashboard in headless Chromium
// (playwright-core from $QD_WEB/node_modules): each check prints "ok - ..."
// or "not ok - ..."; exits 1 if any failed.  Screenshots go to SHOTS.
import { createHmac } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { paint100k } from '../bench/chart_paint.mjs';

const [base, password, shots] = process.argv.slice(2);
const web = process.env.QD_WEB;
const require = createRequire(join(web, 'package.json'));
const { chromium } = require('playwright-core');

let fails = 0;
function say(cond, name, detail) {
	console.log((cond ? 'ok - ' : 'not ok - ') + name);
	if (!cond) {
		fails++;
		if (detail !== undefined)
			console.log('#   ' + String(detail).slice(0, 400));
	}
}
async function check(name, fn) {
	try {
		await fn();
		say(true, name);
	} catch (e) {
		say(false, name, e && e.message ? e.message.split('\n')[0] : e);
	}
}

// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a Base32 secret at time `t` s.
function totp(secret, t) {
	const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = '';
	for (const c of secret.replace(/=+$/, '').toUpperCase())
		bits += alpha.indexOf(c).toString(2).padStart(5, '0');
	const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
	const msg = Buffer.alloc(8);
	msg.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
	const d = createHmac('sha1', key).update(msg).digest();
	const o = d[19] & 15;
	return String((d.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
const page = await ctx.newPage();
const consoleErrors = [];
// Refused requests (the 2FA step's 401, the limits' 400) are the
// browser's to log; any other console error is a script or CSP failure.
page.on('console', (m) => {
	if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of 4'))
		consoleErrors.push(m.text());
});
page.on('pageerror', (e) => consoleErrors.push(e.message));
// Secrets on screen (the 2FA secret and its QR code, recovery codes, an
// API key's secret) are masked in the screenshots CI keeps.
const shot = (name) => page.screenshot({
	path: join(shots, name + '.png'),
	mask: ['#totp-secret', 'img.qr', 'ul.codes', '#key-secret code'].map((s) => page.locator(s)),
});
const noHScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
page.setDefaultTimeout(10000);
let refreshed = 0;
let sockets = 0;
page.on('websocket', () => { sockets++; });
// The indicators as the chart page read them (their outputs' placement).
let indicatorList = null;
page.on('response', (r) => {
	if (r.url().endsWith('/api/v1/auth/refresh') && r.status() === 200)
		refreshed++;
	else if (new URL(r.url()).pathname === '/api/v1/indicators' && r.request().method() === 'GET' && r.status() === 200)
		r.json().then((j) => { indicatorList = j; }).catch(() => {});
});
// The pages of older candles asked for (their "to"), the newest pages
// (exchange and timeframe), the ranges the sma indicator was computed
// over, and every read of the instances' list.
const olderPages = [];
const newestPages = [];
const smaRanges = [];
let instanceReads = 0;
page.on('request', (r) => {
	const u = new URL(r.url());
	if (u.pathname === '/api/v1/market/candles' && u.searchParams.has('to'))
		olderPages.push(`${u.searchParams.get('exchange')} ${u.searchParams.get('to')}`);
	else if (u.pathname === '/api/v1/market/candles')
		newestPages.push(`${u.searchParams.get('exchange')} ${u.searchParams.get('timeframe')}`);
	else if (u.pathname === '/api/v1/indicators/sma' && r.method() === 'POST')
		smaRanges.push(JSON.parse(r.postData() ?? '{}'));
	else if (u.pathname === '/api/v1/instances' && r.method() === 'GET')
		instanceReads++;
});

try {
	await page.goto(base + '/');
	await shot('login');
	await check('sign in with user name and password (Enter submits)', async () => {
		await page.fill('#username', 'root');
		await page.fill('#password', password);
		await page.press('#password', 'Enter');
		await page.waitForSelector('nav');
	});
	await check('the keyboard reaches the pages\' links with a visible focus', async () => {
		await page.evaluate(() => document.activeElement?.blur());
		for (let i = 0; i < 8; i++) {
			await page.keyboard.press('Tab');
			const got = await page.evaluate(() => {
				const a = document.activeElement;
				return a && a.matches('nav a') ? getComputedStyle(a).outlineStyle : null;
			});
			if (got !== null) {
				if (got === 'none')
					throw new Error('a focused link has no outline');
				return;
			}
		}
		throw new Error('Tab never reached a page link');
	});
	const tokenStored = await page.evaluate(() => Object.keys(localStorage).some((k) => /token|refresh/i.test(k) || /eyJ/.test(localStorage.getItem(k) || '')));
	say(!tokenStored, 'no token is kept in localStorage');

	let secret = '';
	await check('the account page enrols 2FA with a QR code and shows recovery codes', async () => {
		await page.click('nav a[href="#/account"]');
		await page.click('#enroll');
		await page.waitForSelector('img.qr');
		secret = (await page.textContent('#totp-secret')).trim();
		const w = await page.evaluate(() => document.querySelector('img.qr').naturalWidth);
		if (!(w > 0))
			throw new Error('the QR code did not load');
		await shot('account-2fa');
		await page.fill('#otp-confirm', totp(secret, Date.now() / 1000));
		await page.press('#otp-confirm', 'Enter');
		await page.waitForSelector('ul.codes li');
	});
	await check('an API key is created with its secret shown once, then revoked', async () => {
		await page.fill('#key-label', 'browser test');
		await page.click('text=Create key');
		await page.waitForSelector('#key-secret code');
		await page.waitForSelector('#keys button:has-text("Revoke")');
		await shot('account');
		await page.click('#keys button:has-text("Revoke")');
		await page.waitForSelector('#keys td:has-text("revoked")');
	});

	await check('sign out, then in again with the 2FA code step', async () => {
		await page.click('#logout');
		await page.waitForSelector('#login');
		await page.fill('#username', 'root');
		await page.fill('#password', password);
		await page.press('#password', 'Enter');
		await page.waitForSelector('#otp:not([disabled])');
		await shot('login-2fa');
		// The next step's code: the confirmation used this one.
		await page.fill('#otp', totp(secret, Date.now() / 1000 + 30));
		await page.press('#otp', 'Enter');
		await page.waitForSelector('nav');
	});
	const refreshKept = await page.evaluate(() => sessionStorage.getItem('quantd.refresh') !== null &&
		Object.keys(localStorage).every((k) => k === 'quantd.theme'));
	say(refreshKept, 'the refresh token is in sessionStorage only');

	await page.goto(base + '/#/chart');
	let before = 0;
	await check('the chart shows the stored candles', async () => {
		// The feed's first candle is stored when the replay's first
		// minute ends; until then only the imported sim candles are
		// offered (read again on a reload).
		for (let i = 0; i < 60 && !(await page.$('#market option[value="feed BTC/USDT"]')); i++) {
			await page.waitForTimeout(1000);
			if (i % 5 === 4)
				await page.reload();
		}
		await page.selectOption('#market', 'feed BTC/USDT');
		await page.waitForFunction(() => Number(document.querySelector('#chart-status')?.dataset.count) > 0, null, { timeout: 30000 });
		before = Number(await page.getAttribute('#chart-status', 'data-count'));
		await page.waitForSelector('#chart canvas');
	});
	await check('a new candle arrives live', async () => {
		// The open minute's candle, or, when it came before the count
		// was read, the next minute's: a minute at most.
		await page.waitForFunction((n) => Number(document.querySelector('#chart-status')?.dataset.count) > n, before, { timeout: 75000 });
	});
	await shot('chart');

	await check('indicators: sma over the price, rsi in its own pane, computed by the server', async () => {
		await page.click('.indicators summary');
		await page.waitForSelector('#indicator option[value="sma"]', { state: 'attached' });
		await page.selectOption('#indicator', 'sma');
		await page.fill('#indicator-form input[name="period"]', '2');
		await page.click('#indicator-form button[type="submit"]');
		await page.waitForSelector('#indicator-list li[data-indicator="sma"][data-placement="overlay"]');
		await page.selectOption('#indicator', 'rsi');
		await page.fill('#indicator-form input[name="period"]', '2');
		await page.click('#indicator-form button[type="submit"]');
		await page.waitForSelector('#indicator-list li[data-indicator="rsi"][data-placement="pane"]');
	});
	await shot('chart-indicators');
	await check('an indicator\'s bad parameter shows the server\'s error at its field', async () => {
		await page.selectOption('#indicator', 'ema');
		await page.fill('#indicator-form input[name="period"]', '0');
		await page.click('#indicator-form button[type="submit"]');
		await page.waitForSelector('#indicator-form input[name="period"][aria-invalid="true"]');
	});
	await check('an indicator is removed with the keyboard', async () => {
		await page.focus('#indicator-list button[aria-label^="Remove rsi"]');
		await page.keyboard.press('Enter');
		await page.waitForFunction(() => !document.querySelector('#indicator-list li[data-indicator="rsi"]') &&
			document.querySelector('#chart')?.dataset.indicators === '1');
	});


	// hist BTC/USDT: 12,000 one-minute candles (dashboard.sh), 5,000 a page.
	const MIN = 60000;
	const status = (k) => page.evaluate((key) => Number(document.querySelector('#chart-status')?.dataset[key]), k);
	const countIs = (n) => page.waitForFunction((c) => document.querySelector('#chart-status')?.dataset.count === String(c), n, { timeout: 15000 });
	let first0 = 0;
	await check('the chart opens on the newest page of a long series', async () => {
		await page.selectOption('#market', 'hist BTC/USDT');
		await page.waitForFunction(() => /\bhist BTC\/USDT 1m: 5000 candles/.test(document.querySelector('#chart-status')?.textContent ?? ''), null, { timeout: 15000 });
		first0 = await status('first');
		if (olderPages.some((p) => p.startsWith('hist ')))
			throw new Error(`an older page was asked for before any scroll: ${olderPages}`);
	});
	await check('Home on the chart shows the first candle and the page before it is prepended where the view is', async () => {
		await page.focus('#chart');
		await page.keyboard.press('Home');
		await countIs(10000);
		const first1 = await status('first');
		if (first1 !== first0 - 5000 * MIN)
			throw new Error(`the first candle went from ${first0} to ${first1}, not 5000 minutes back`);
		// The view stays on the bars it showed: it starts at the old first
		// one (or the bar before it, now partly in view at the left edge).
		await page.waitForTimeout(300);
		const from = Number(await page.getAttribute('#chart', 'data-view-from'));
		if (from !== first0 && from !== first0 - MIN)
			throw new Error(`the view jumped: it starts at ${from}, the old first candle is ${first0}`);
	});
	await check('the indicator is computed again over the wider range', async () => {
		const first1 = await status('first');
		for (let i = 0; i < 50 && !smaRanges.some((r) => r.exchange === 'hist' && r.from === first1); i++)
			await page.waitForTimeout(100);
		if (!smaRanges.some((r) => r.exchange === 'hist' && r.from === first1))
			throw new Error(`sma ranges asked: ${JSON.stringify(smaRanges.slice(-3))}`);
	});
	await check('dragging the chart to the right loads the last older page, then asks no more', async () => {
		const c = await page.locator('#chart').boundingBox();
		const y = c.y + c.height / 2;
		// Zoomed out, then dragged towards the older candles.
		await page.mouse.move(c.x + c.width / 2, y);
		for (let i = 0; i < 20; i++)
			await page.mouse.wheel(0, 300);
		for (let i = 0; i < 40 && await status('count') < 12000; i++) {
			await page.mouse.move(c.x + 40, y);
			await page.mouse.down();
			await page.mouse.move(c.x + c.width - 80, y, { steps: 8 });
			await page.mouse.up();
			await page.waitForTimeout(100);
		}
		await countIs(12000);
		const first = await status('first');
		if (first !== first0 - 7000 * MIN)
			throw new Error(`the first candle is ${first}, not the first stored (${first0 - 7000 * MIN})`);
		await page.keyboard.press('Home');
		await page.waitForTimeout(1000);
		const hist = olderPages.filter((p) => p.startsWith('hist '));
		if (await status('count') !== 12000 || hist.length !== 2 || new Set(hist).size !== 2)
			throw new Error(`${await status('count')} candles after pages ${hist.join(', ')}`);
	});
	await shot('chart-history');
	await check('SuperTrend: its line over the price (pane 0), its direction in a pane of its own, as the API places them', async () => {
		const placement = indicatorList?.indicators?.find((i) => i.name === 'supertrend')?.placement;
		if (JSON.stringify(placement) !== '["price","pane"]')
			throw new Error(`GET /indicators places supertrend's outputs ${JSON.stringify(placement)}`);
		await page.selectOption('#indicator', 'supertrend');
		await page.click('#indicator-form button[type="submit"]');
		const li = '#indicator-list li[data-indicator="supertrend"]';
		await page.waitForSelector(li + '[data-placement="both"]');
		const panes = (await page.getAttribute(li, 'data-panes')).split(' ').map(Number);
		const sma = Number(await page.getAttribute('#indicator-list li[data-indicator="sma"]', 'data-panes'));
		if (panes.length !== 2 || panes.some((p, j) => (p === 0) !== (placement[j] === 'price')) || !(panes[1] > 0) || sma !== 0)
			throw new Error(`supertrend's value and direction in panes ${panes}, sma in ${sma}`);
		if (!/value over the price, direction in its pane/.test(await page.textContent(li)))
			throw new Error(`the list says: ${await page.textContent(li)}`);
	});
	await page.evaluate(() => document.querySelector('#chart')?.scrollIntoView({ block: 'start' }));
	await shot('chart-supertrend');
	await check('SuperTrend is removed with its pane', async () => {
		await page.click('#indicator-list button[aria-label^="Remove supertrend"]');
		await page.waitForFunction(() => !document.querySelector('#indicator-list li[data-indicator="supertrend"]') &&
			document.querySelector('#chart')?.dataset.indicators === '1');
	});
	await check('back on the live market', async () => {
		await page.selectOption('#market', 'feed BTC/USDT');
		await page.waitForFunction(() => /\bfeed BTC\/USDT 1m: [1-9]/.test(document.querySelector('#chart-status')?.textContent ?? ''));
	});

	await check('opening the chart asks for its candles once (the nav link to it and choosing its market or timeframe again ask for nothing)', async () => {
		const from = newestPages.length;
		// Signed in at / the chart is the page shown.
		await page.goto(base + '/');
		await page.waitForFunction(() => /\bfeed BTC\/USDT 1m: [1-9]/.test(document.querySelector('#chart-status')?.textContent ?? ''), null, { timeout: 15000 });
		await page.click('nav a[href="#/chart"]');
		await page.selectOption('#market', 'feed BTC/USDT');
		await page.click('.tfs button[data-tf="1m"]');
		await page.waitForTimeout(1000);
		const asked = newestPages.slice(from);
		if (asked.length !== 1 || asked[0] !== 'feed 1m')
			throw new Error(`pages asked for: ${asked.join(', ')}`);
		await page.waitForSelector('#order-ticket select[name="instance"] option[value="hold"]', { state: 'attached' });
	});

	await check('placing a limit order from the ticket draws its price line', async () => {
		const lines = Number(await page.getAttribute('#chart', 'data-lines') ?? 0);
		await page.selectOption('#order-ticket select[name="instance"]', 'hold');
		await page.selectOption('#order-ticket select[name="type"]', 'limit');
		await page.fill('#order-ticket input[name="qty"]', '0.1');
		await page.fill('#order-ticket input[name="price"]', '50');
		await page.click('#order-ticket button[type="submit"]');
		await page.waitForSelector('#order-ticket p:has-text("placed")');
		await page.waitForFunction((n) => Number(document.querySelector('#chart')?.dataset.lines) > n, lines);
	});
	await check('a market order fills and its marker is drawn', async () => {
		await page.selectOption('#order-ticket select[name="type"]', 'market');
		await page.fill('#order-ticket input[name="qty"]', '0.2');
		await page.click('#order-ticket button[type="submit"]');
		// It fills at the feed's next trade: a sanitizer build under load
		// can take a while to get there.
		try {
			await page.waitForFunction(() => Number(document.querySelector('#chart')?.dataset.fills) > 0, null, { timeout: 30000 });
		} catch (e) {
			const said = await page.textContent('#order-ticket').catch(() => '?');
			const status = await page.textContent('#chart-status').catch(() => '?');
			throw new Error(`${e.message}; the ticket says: ${said}; the chart: ${status}`);
		}
	});
	await check('a bracket order\'s stop loss and take profit are lines on the chart once it fills', async () => {
		await page.selectOption('#order-ticket select[name="type"]', 'market');
		await page.fill('#order-ticket input[name="qty"]', '0.1');
		await page.fill('#order-ticket input[name="sl_price"]', '1');
		await page.fill('#order-ticket input[name="tp_price"]', '10000000');
		await page.click('#order-ticket button[type="submit"]');
		await page.waitForFunction(() => Number(document.querySelector('#chart')?.dataset.sl) > 0 &&
			Number(document.querySelector('#chart')?.dataset.tp) > 0, null, { timeout: 15000 });
		await page.fill('#order-ticket input[name="sl_price"]', '');
		await page.fill('#order-ticket input[name="tp_price"]', '');
	});
	await check('a stop order is a line at its trigger price', async () => {
		const sl = Number(await page.getAttribute('#chart', 'data-sl') ?? 0);
		await page.selectOption('#order-ticket select[name="side"]', 'sell');
		await page.selectOption('#order-ticket select[name="type"]', 'stop');
		await page.fill('#order-ticket input[name="qty"]', '0.05');
		await page.fill('#order-ticket input[name="stop_price"]', '2');
		await page.click('#order-ticket button[type="submit"]');
		await page.waitForFunction((n) => Number(document.querySelector('#chart')?.dataset.sl) > n, sl, { timeout: 15000 });
		await page.waitForSelector('#chart-orders li:has-text("stop sell")');
		await page.selectOption('#order-ticket select[name="side"]', 'buy');
	});
	await check('trailing stops\' lines move with the price (no fill, no reload)', async () => {
		const lines = Number(await page.getAttribute('#chart', 'data-lines') ?? 0);
		// A sell's stop follows each new high, a buy's each new low: one
		// of them moves as soon as the price does.  4 away: near enough
		// to be in view, too far for the feed to reach in the few seconds
		// they stay.
		await page.selectOption('#order-ticket select[name="type"]', 'trailing_stop');
		await page.fill('#order-ticket input[name="qty"]', '0.05');
		await page.fill('#order-ticket input[name="trail"]', '4');
		for (const side of ['sell', 'buy']) {
			await page.selectOption('#order-ticket select[name="side"]', side);
			await page.click('#order-ticket button[type="submit"]');
			await page.waitForSelector(`#chart-orders li:has-text("trailing stop ${side}")`);
		}
		// Drawn once their engine saw a price.
		await page.waitForFunction((n) => Number(document.querySelector('#chart')?.dataset.lines) === n + 2, lines, { timeout: 15000 });
		const before = await page.getAttribute('#chart', 'data-line-prices');
		await page.waitForFunction(([n, p]) => Number(document.querySelector('#chart')?.dataset.lines) === n + 2 &&
			document.querySelector('#chart')?.dataset.linePrices !== p, [lines, before], { timeout: 30000 });
		await page.evaluate(() => document.querySelector('#chart').scrollIntoView({ block: 'center' }));
		await shot('chart-trailing');
		for (const side of ['sell', 'buy'])
			await page.click(`#chart-orders li:has-text("trailing stop ${side}") button`);
		await page.waitForFunction((n) => Number(document.querySelector('#chart')?.dataset.lines) === n, lines);
		await page.selectOption('#order-ticket select[name="side"]', 'buy');
	});
	await shot('chart-orders');
	await check('the open position\'s average entry price is a line on the chart', async () => {
		await page.waitForFunction(() => Number(document.querySelector('#chart')?.dataset.positions) > 0);
	});
	await check('and its risk rules\' stop loss and take profit are lines too', async () => {
		await page.waitForFunction(() => Number(document.querySelector('#chart')?.dataset.riskLines) >= 2);
	});

	await check('switching to 5m shows 5-minute candles and keeps the fill\'s marker', async () => {
		await page.click('.tfs button[data-tf="5m"]');
		await page.waitForSelector('.tfs button[data-tf="5m"][aria-pressed="true"]');
		await page.waitForFunction(() => /\b5m: [1-9]/.test(document.querySelector('#chart-status')?.textContent ?? ''));
		await page.waitForFunction(() => Number(document.querySelector('#chart')?.dataset.fills) > 0);
	});
	await shot('chart-5m');
	say(await noHScroll(), 'the chart page has no horizontal scroll at 1280x720');

	await check('the overview lists accounts, open orders and the fill', async () => {
		await page.click('nav a[href="#/overview"]');
		await page.waitForSelector('#accounts td:has-text("paper:hold")');
		await page.waitForSelector('#open-orders td');
		await page.waitForSelector('#fills td');
	});
	await shot('overview');

	await check('risk limits: the server\'s validation error is shown', async () => {
		await page.click('nav a[href="#/risk"]');
		await page.waitForSelector('#risk-status table');
		await page.selectOption('#limit-scope', 'instance');
		await page.fill('#limit-id', 'hold');
		await page.fill('#limits-form input[name="max_drawdown_pct"]', '-5');
		await page.press('#limits-form input[name="max_drawdown_pct"]', 'Enter');
		await page.waitForSelector('section:has(#limits-form) .error:not([hidden])');
	});
	await check('risk limits: a valid change is applied', async () => {
		await page.fill('#limits-form input[name="max_drawdown_pct"]', '50');
		await page.press('#limits-form input[name="max_drawdown_pct"]', 'Enter');
		await page.waitForSelector('section:has(#limits-form) p:has-text("limits applied")');
	});
	await check('emergency close asks for confirmation, then closes', async () => {
		await page.fill('#ec-ratio', '1');
		await page.click('#ec-form button[type="submit"]');
		await page.waitForSelector('#ec-confirm');
		await shot('risk-confirm');
		await page.click('#ec-confirm');
		await page.waitForSelector('#ec-result:has-text("sent")');
	});
	await check('the emergency close is listed among the live risk events', async () => {
		await page.waitForSelector('#risk-events td');
	});
	await shot('risk');

	const row = (name) => `#instances tr[data-instance="${name}"]`;
	await check('the strategies page lists the instances with their states', async () => {
		await page.click('nav a[href="#/strategies"]');
		await page.waitForSelector(row('hold') + ' [data-state="running"]');
		await page.waitForSelector(row('feed') + ' td:has-text("exchange")');
	});
	await shot('strategies');
	await check('stopping a strategy shows it stopped; starting it shows it running (pushed, not read again)', async () => {
		const reads = instanceReads;
		// Well within the 3 s the page used to poll at.
		await page.click(row('hold') + ' button[data-action="stop"]');
		await page.waitForSelector(row('hold') + ' [data-state="stopped"]', { timeout: 2500 });
		await page.click(row('hold') + ' button[data-action="start"]');
		await page.waitForSelector(row('hold') + ' [data-state="running"]', { timeout: 2500 });
		if (instanceReads !== reads)
			throw new Error(`the page read GET /instances ${instanceReads - reads} time(s)`);
	});
	await check('an instance a reload removes leaves the list (pushed, not read again)', async () => {
		await page.waitForSelector(row('spare'));
		const reads = instanceReads;
		// Its file gone, and the daemon told to reload (SIGHUP).
		await unlink(join(process.env.QD_T, 'quantd.d', 'spare.json'));
		process.kill(Number(process.env.QD_PID), 'SIGHUP');
		await page.waitForSelector(row('spare'), { state: 'detached', timeout: 5000 });
		await page.waitForSelector(row('hold') + ' [data-state="running"]');
		if (instanceReads !== reads)
			throw new Error(`the page read GET /instances ${instanceReads - reads} time(s)`);
	});
	await check('a bad parameter shows the server\'s error at its field', async () => {
		await page.click(row('hold') + ' button[data-action="params"]');
		await page.waitForSelector('#params-form input[name="qty"]');
		await page.fill('#params-form input[name="qty"]', '5000');
		await page.click('#params-form button[type="submit"]');
		await page.waitForSelector('#params-form input[name="qty"][aria-invalid="true"]');
		const msg = (await page.textContent('[data-param="qty"] .field-error')).trim();
		const tied = await page.getAttribute('#params-form input[name="qty"]', 'aria-describedby');
		if (!msg || !tied.split(' ').includes(await page.getAttribute('[data-param="qty"] .field-error', 'id')))
			throw new Error(`the message "${msg}" is not tied to the field (${tied})`);
		if (await page.locator('#params-form .field-error:not([hidden])').count() !== 1)
			throw new Error('a field other than qty is marked');
	});
	await shot('strategies-params');

	await check('the plugins page lists plugins with their trust, and the refused file with why', async () => {
		await page.click('nav a[href="#/plugins"]');
		await page.waitForSelector('#plugins button[data-plugin="tp-storm"]');
		await page.waitForSelector('#plugins td:has-text("trusted")');
		await page.waitForSelector('#refused td:has-text("junk.so")');
		await page.click('#plugins button[data-plugin="sma"]');
		await page.waitForSelector('#plugin-info td:has-text("period")');
	});
	await check('the instance file editor: Check shows a problem at its line, Save writes a valid file', async () => {
		await page.selectOption('#config-instance', 'hold');
		await page.waitForFunction(() => document.querySelector('#config-text').value.includes('"tp-storm"'));
		const text = await page.inputValue('#config-text');
		await page.fill('#config-text', text.replace('"qty": 2', '"qty": -1'));
		await page.click('#config-check');
		await page.waitForSelector('#config-problems li:has-text("line 3")');
		await page.waitForSelector('#config-text[aria-invalid="true"]');
		await shot('plugins');
		await page.fill('#config-text', text);
		await page.click('#config-save');
		await page.waitForSelector('#config-saved');
	});
	// Backtests over the imported sim candles (dashboard.sh).
	const runJob = async (strategy, kind, fill) => {
		await page.selectOption('#bt-kind', kind);
		await page.selectOption('#bt-strategy', strategy);
		await page.waitForFunction((s) => document.querySelector('#bt-strategy')?.value === s &&
			document.querySelector('#bt-params .param') !== null, strategy);
		const sim = await page.evaluate(() => [...document.querySelectorAll('#bt-series option')]
			.find((o) => o.textContent.startsWith('sim '))?.value);
		if (sim === undefined)
			throw new Error('the imported sim candles are not offered');
		await page.selectOption('#bt-series', sim);
		await page.dispatchEvent('#bt-series', 'change');
		for (const [sel, v] of fill)
			await page.fill(sel, v);
		const before = await page.evaluate(() => document.querySelector('#bt-result')?.dataset.job ?? '');
		await page.click('#bt-form button[type="submit"]');
		await page.waitForSelector('#bt-form p:has-text("queued")');
		await page.waitForFunction((b) => { const r = document.querySelector('#bt-result'); return r && !r.hidden && (r.dataset.job ?? '') !== b; },
			before, { timeout: 60000 });
	};
	await check('a backtest runs from the form and its equity chart has a series', async () => {
		await page.click('nav a[href="#/backtests"]');
		await page.waitForSelector('#bt-strategy option[value="ma-cross"]', { state: 'attached' });
		await runJob('ma-cross', 'backtest', [['#bt-params [name="fast"]', '5'], ['#bt-params [name="slow"]', '20']]);
		await page.waitForFunction(() => Number(document.querySelector('#bt-equity')?.dataset.points) > 1);
		await page.waitForSelector('#bt-equity canvas');
		await page.waitForSelector('#jobs progress[value="1"]');
	});
	await page.evaluate(() => document.querySelector('#bt-result')?.scrollIntoView({ block: 'start' }));
	await shot('backtests');
	await check('the backtest\'s trades table lists every trade its metrics count', async () => {
		const n = Number(await page.textContent('#bt-metrics dd[data-metric="trades"]'));
		const rows = await page.locator('#bt-trades tbody tr').count();
		if (!(n > 0) || rows !== Math.min(n, 500))
			throw new Error(`${rows} rows for ${n} trades`);
	});
	await check('the trades download as CSV and the report as HTML', async () => {
		const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#bt-csv')]);
		const text = await readFile(await csv.path(), 'utf8');
		if (!csv.suggestedFilename().endsWith('.csv') || !text.startsWith('symbol,side,'))
			throw new Error(`${csv.suggestedFilename()}: ${text.slice(0, 40)}`);
		const [rep] = await Promise.all([page.waitForEvent('download'), page.click('#bt-report')]);
		const html = await readFile(await rep.path(), 'utf8');
		if (!/<html/i.test(html))
			throw new Error('the report is not HTML');
	});
	await check('a Monte Carlo run of the backtest shows its percentile bands', async () => {
		await page.fill('#mc-runs', '500');
		await page.click('#mc-form button[type="submit"]');
		await page.waitForSelector('#mc-bands canvas', { timeout: 60000 });
		await page.waitForSelector('#mc-bands li:has-text("median")');
	});
	await check('"show on chart" draws a backtest\'s trades and its Chan structures on the K-line chart', async () => {
		await runJob('chan', 'backtest', []);
		await page.click('#bt-show');
		await page.waitForFunction(() => Number(document.querySelector('#chart')?.dataset.btTrades) > 0 &&
			Number(document.querySelector('#chart')?.dataset.chan) > 0, null, { timeout: 15000 });
		await page.waitForSelector('#overlays input[data-layer="pivot"]');
		await page.waitForFunction(() => /\bsim BTC\/USDT 1m: [1-9]/.test(document.querySelector('#chart-status')?.textContent ?? ''));
	});
	await check('the run\'s provisional structures (its last stroke at least) are drawn apart from the final ones', async () => {
		// Drawn dashed and lighter; counted as the chart paints them.
		await page.waitForFunction(() => Number(document.querySelector('#chart')?.dataset.chanProvisional) > 0 &&
			Number(document.querySelector('#chart')?.dataset.chanProvisional) < Number(document.querySelector('#chart')?.dataset.chanStrokes));
	});
	await shot('chart-backtest');
	await check('a running strategy\'s annotations are drawn on its market\'s chart as they come', async () => {
		await page.click('#overlay-clear');
		await page.selectOption('#market', 'synth ETH/USDT');
		await page.waitForFunction(() => /\bsynth ETH\/USDT 1m: [1-9]/.test(document.querySelector('#chart-status')?.textContent ?? ''));
		await page.selectOption('#annotations-of', 'chanlive');
		await page.waitForFunction(() => Number(document.querySelector('#chart')?.dataset.chan) > 0, null, { timeout: 15000 });
		const n = Number(await page.getAttribute('#chart', 'data-chan'));
		await page.waitForFunction((k) => Number(document.querySelector('#chart')?.dataset.chan) > k, n, { timeout: 30000 });
	});
	await shot('chart-annotations');
	await check('an optimisation over two parameters draws its heat map, read out under the pointer and the keys', async () => {
		await page.click('nav a[href="#/backtests"]');
		await page.waitForSelector('#bt-strategy option[value="ma-cross"]', { state: 'attached' });
		await runJob('ma-cross', 'optimize', [
			['[name="grid.fast.min"]', '3'], ['[name="grid.fast.max"]', '8'], ['[name="grid.fast.step"]', '1'],
			['[name="grid.slow.min"]', '20'], ['[name="grid.slow.max"]', '30'], ['[name="grid.slow.step"]', '2']]);
		const cells = Number(await page.getAttribute('#heatmap canvas', 'data-cells'));
		if (cells !== 36)
			throw new Error(`${cells} cells with a value, not 36`);
		const map = page.locator('#heatmap canvas');
		const box = await map.boundingBox();
		await map.hover({ position: { x: box.width - 20, y: 20 } });
		await page.waitForSelector('#heatmap .readout:has-text("fast=")');
		await page.focus('#heatmap canvas');
		const was = await page.textContent('#heatmap .readout');
		await page.keyboard.press('ArrowLeft');
		if ((await page.textContent('#heatmap .readout')) === was)
			throw new Error('the arrow key did not move the cursor');
	});
	await page.evaluate(() => document.querySelector('#bt-result')?.scrollIntoView({ block: 'start' }));
	await shot('backtests-heatmap');
	await check('a walk-forward shows each window\'s bars and the stitched out-of-sample run', async () => {
		await runJob('ma-cross', 'walkforward', [
			['[name="grid.fast.min"]', '3'], ['[name="grid.fast.max"]', '5'], ['[name="grid.fast.step"]', '1'],
			['[name="grid.slow.min"]', '20'], ['[name="grid.slow.max"]', '24'], ['[name="grid.slow.step"]', '2'],
			['#wf-train', '1000'], ['#wf-test', '500']]);
		const bars = Number(await page.getAttribute('#wf-bars canvas', 'data-bars'));
		if (bars !== 4)
			throw new Error(`${bars} windows drawn, not 4`);
		await page.waitForSelector('#bt-result #bt-metrics dd[data-metric="total_return"]');
	});
	await page.evaluate(() => document.querySelector('#bt-result')?.scrollIntoView({ block: 'start' }));
	await shot('backtests-walkforward');
	say(await noHScroll(), 'the backtests page has no horizontal scroll at 1280x720');

	// A Chan analysis job over the same candles: its result as the page
	// read it, then every structure of it counted on the chart.
	let chan = null;
	await check('a Chan analysis runs from the form and shows its counts and tables', async () => {
		await page.selectOption('#bt-kind', 'chan');
		await page.waitForSelector('#chan-gap', { state: 'visible' });
		if (await page.isVisible('#bt-strategy'))
			throw new Error('the strategy is asked for a Chan analysis');
		const sim = await page.evaluate(() => [...document.querySelectorAll('#bt-series option')]
			.find((o) => o.textContent.startsWith('sim '))?.value);
		await page.selectOption('#bt-series', sim);
		await page.dispatchEvent('#bt-series', 'change');
		await page.fill('#chan-gap', '1');
		await page.click('#bt-form button[type="submit"]');
		await page.waitForSelector('#chan-gap[aria-invalid="true"]');
		await page.evaluate(() => document.querySelector('#bt-form')?.scrollIntoView({ block: 'start' }));
		await shot('backtests-chan-form');
		await page.fill('#chan-gap', '4');
		const result = page.waitForResponse((r) => /^\/api\/v1\/chan\/\d+\/result$/.test(new URL(r.url()).pathname) &&
			r.status() === 200, { timeout: 60000 });
		await page.click('#bt-form button[type="submit"]');
		await page.waitForSelector('#bt-form p:has-text("queued")');
		chan = await (await result).json();
		await page.waitForSelector('#chan-summary');
		const want = { bars: chan.bars, klines: chan.klines, fractals: chan.fractals.length, strokes: chan.strokes.length,
			segments: chan.segments.length, pivots: chan.pivots.length, points: chan.points.length };
		if (!(want.strokes > 0 && want.points > 0))
			throw new Error(`an analysis of 3,000 bars found ${JSON.stringify(want)}`);
		for (const [k, n] of Object.entries(want)) {
			const shown = Number((await page.textContent(`#chan-summary dd[data-count="${k}"]`)).replace(/,/g, ''));
			if (shown !== n)
				throw new Error(`${k}: ${shown} shown, the result has ${n}`);
		}
		for (const k of ['points', 'segments', 'pivots']) {
			const rows = await page.locator(`#chan-${k} tbody tr`).count();
			if (rows !== Math.min(chan[k].length, 500))
				throw new Error(`${rows} rows of ${k} for ${chan[k].length}`);
		}
		await page.waitForSelector('#jobs tr:has-text("Chan analysis") progress[value="1"]');
	});
	await page.evaluate(() => document.querySelector('#bt-result')?.scrollIntoView({ block: 'start' }));
	await shot('backtests-chan');
	await check('the Chan analysis on the chart: every fractal, stroke, segment, pivot and point of its result drawn', async () => {
		if (!chan)
			throw new Error('no Chan analysis result');
		await page.click('#chan-show');
		await page.waitForFunction(() => /\bsim BTC\/USDT 1m: [1-9]/.test(document.querySelector('#chart-status')?.textContent ?? ''));
		// Only the job's structures: no running instance's.
		await page.selectOption('#annotations-of', '');
		const drawn = (want) => page.waitForFunction((w) => {
			const d = document.querySelector('#chart')?.dataset ?? {};
			return Object.entries(w).every(([k, n]) => d[k] === String(n));
		}, want, { timeout: 15000 }).catch(async () => {
			const d = await page.evaluate(() => ({ ...document.querySelector('#chart')?.dataset }));
			throw new Error(`drawn ${JSON.stringify(d)}, the result has ${JSON.stringify(want)}`);
		});
		await drawn({ chanStrokes: chan.strokes.length, chanSegments: chan.segments.length, chanPivots: chan.pivots.length,
			chanPoints: chan.points.length, chanFractals: 0, btTrades: 0 });
		await page.check('#overlays input[data-layer="fractal"]');
		await drawn({ chanFractals: chan.fractals.length, chanPoints: chan.points.length });
		await page.waitForSelector('#overlay-label:has-text("Chan analysis #")');
	});
	await shot('chart-chan');
	await check('the Chan analysis is cleared from the chart', async () => {
		await page.uncheck('#overlays input[data-layer="fractal"]');
		await page.click('#overlay-clear');
		await page.waitForFunction(() => document.querySelector('#chart')?.dataset.chanStrokes === '0' &&
			document.querySelector('#chart')?.dataset.chanPoints === '0');
	});

	await check('the access token (30 s) is renewed before it expires', async () => {
		for (let i = 0; i < 200 && refreshed === 0; i++)
			await page.waitForTimeout(100);
		if (refreshed === 0)
			throw new Error('no POST /auth/refresh answered 200');
		await page.click('nav a[href="#/overview"]');
		await page.waitForSelector('#accounts td');
	});
	await check('a renewed token signs the open WebSocket in again (no reconnect to lose messages in)', async () => {
		const s0 = sockets, r0 = refreshed;
		for (let i = 0; i < 250 && refreshed === r0; i++)
			await page.waitForTimeout(100);
		if (refreshed === r0)
			throw new Error('no renewal within 25 s');
		await page.waitForTimeout(1000);
		if (sockets !== s0)
			throw new Error(`${sockets - s0} WebSocket(s) opened after the renewal`);
	});
	const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
	const first = await theme();
	await check('switching the theme restyles the chart, its candles kept (not asked for again)', async () => {
		await page.goto(base + '/#/chart');
		await page.waitForFunction(() => Number(document.querySelector('#chart-status')?.dataset.count) > 0);
		const from = newestPages.length;
		const was = await page.getAttribute('#chart', 'data-up-color');
		await page.click('#theme');
		// The chart's own style now has the new theme's colour.
		await page.waitForFunction((w) => {
			const c = document.querySelector('#chart')?.dataset.upColor;
			return c && c !== w && c === getComputedStyle(document.documentElement).getPropertyValue('--up').trim();
		}, was);
		await page.waitForTimeout(1000);
		if (newestPages.length !== from)
			throw new Error(`pages asked for after the switch: ${newestPages.slice(from).join(', ')}`);
		if (!(await status('count') > 0))
			throw new Error('the chart has no candles after the switch');
	});
	await check('the other theme is chosen and remembered after a reload', async () => {
		await page.reload();
		await page.waitForSelector('nav');
		const now = await theme();
		if (now === first)
			throw new Error(`theme after the toggle and a reload: ${now}, as before`);
	});
	await page.goto(base + '/#/chart');
	await page.waitForFunction(() => Number(document.querySelector('#chart-status')?.dataset.count) > 0);
	await shot('chart-theme');
	await page.setViewportSize({ width: 390, height: 844 });
	await page.waitForTimeout(300);
	say(await noHScroll(), 'the chart page has no horizontal scroll at phone width');
	await shot('chart-phone');
	await page.goto(base + '/#/overview');
	await page.waitForSelector('#accounts');
	say(await noHScroll(), 'the overview has no horizontal scroll at phone width');
	await shot('overview-phone');
	for (const p of ['strategies', 'plugins']) {
		await page.goto(base + '/#/' + p);
		await page.waitForSelector(p === 'strategies' ? '#instances table' : '#plugins table');
		say(await noHScroll(), `the ${p} page has no horizontal scroll at phone width`);
		await shot(p + '-phone');
	}
	await page.goto(base + '/#/backtests');
	await page.waitForSelector('#jobs table');
	say(await noHScroll(), 'the backtests page has no horizontal scroll at phone width');
	await shot('backtests-phone');
	say(consoleErrors.length === 0, 'no script or CSP error in the console', consoleErrors.join(' | '));

	// 100 k candles: the series' data, setData and the first painted
	// frame, in this browser, by the dashboard's chart code
	// (tests/bench/chart_paint.mjs).
	const ms = await paint100k(browser, web);
	console.log(`figure: 100000 candles + volume, data to first paint: ${ms.total.toFixed(1)} ms ` +
		`(a structured copy of the bars: ${ms.copy.toFixed(1)} ms; ratio ${(ms.total / ms.copy).toFixed(1)})`);
} catch (e) {
	say(false, 'the browser run', e && e.stack ? e.stack : e);
	await shot('failure').catch(() => {});
} finally {
	await browser.close();
}
process.exit(fails ? 1 : 0);
