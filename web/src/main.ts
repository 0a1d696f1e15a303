// main.ts -- the dashboard's shell: sign-in or the pages, chosen by the
// URL's hash (#/chart, #/overview, #/risk, #/account, #/strategies,
// #/plugins, #/backtests), the theme toggle (remembered in localStorage)
// and sign-out.
import './app.css';
import { logout, onSession, refresh } from './api';
import { accountPage } from './account';
import { backtestsPage } from './backtests';
import { chartPage } from './chart';
import { errorBox, h, replace, showError } from './dom';
import { loginPage } from './login';
import { overviewPage, trackFills } from './overview';
import { riskPage } from './risk';
import { pluginsPage } from './plugins';
import { strategiesPage } from './strategies';
import * as api from './routes';

const PAGES: Array<[string, string]> = [
	['chart', 'Chart'], ['overview', 'Overview'], ['risk', 'Risk'], ['account', 'Account'],
	['strategies', 'Strategies'], ['plugins', 'Plugins'],
	['backtests', 'Backtests'],
];
const THEME_KEY = 'quantd.theme';

const app = document.getElementById('app') as HTMLElement;
let stop: (() => void) | null = null;
let user: api.Me | null = null;
let shown = '';   /* the page drawn ('' for the sign-in form) */

function applyTheme(t: string): void {
	document.documentElement.dataset.theme = t;
}

function page(): string {
	const p = location.hash.replace(/^#\/?/, '');
	return PAGES.some(([k]) => k === p) ? p : 'chart';
}

function show(): void {
	stop?.();
	stop = null;
	if (!user) {
		shown = '';
		loginPage(app, () => { void start(); });
		return;
	}
	const current = page();
	shown = current;
	const main = h('main', { id: 'page', class: 'page-' + current, tabindex: '-1' });
	const theme = h('button', { type: 'button', id: 'theme', 'aria-label': 'Switch between dark and light themes' },
		document.documentElement.dataset.theme === 'light' ? 'Dark theme' : 'Light theme');
	theme.addEventListener('click', () => {
		const t = document.documentElement.dataset.theme === 'light' ? 'dark' : 'light';
		localStorage.setItem(THEME_KEY, t);
		applyTheme(t);
		// The chart restyles itself (its candles kept); the other pages
		// are drawn again in the theme's colours.
		if (current === 'chart')
			theme.textContent = t === 'light' ? 'Dark theme' : 'Light theme';
		else
			show();
	});
	const out = h('button', { type: 'button', id: 'logout' }, 'Sign out');
	out.addEventListener('click', () => { void logout(); });
	replace(app,
		h('header', { class: 'top' },
			h('span', { class: 'brand' }, 'quantd'),
			h('nav', { 'aria-label': 'Pages' }, ...PAGES.map(([k, t]) =>
				h('a', { href: '#/' + k, 'aria-current': k === current ? 'page' : undefined }, t))),
			h('span', { class: 'who' }, user.username), theme, out),
		main);
	if (current === 'chart')
		stop = chartPage(main);
	else if (current === 'overview')
		stop = overviewPage(main);
	else if (current === 'risk')
		stop = riskPage(main, user);
	else if (current === 'strategies')
		stop = strategiesPage(main, user);
	else if (current === 'plugins')
		pluginsPage(main, user);
	else if (current === 'backtests')
		stop = backtestsPage(main);
	else
		accountPage(main, user);
}

async function start(): Promise<void> {
	try {
		user = await api.me();
		trackFills();
	} catch (e) {
		user = null;
		show();
		const box = errorBox();
		app.appendChild(box);
		showError(box, e);
		return;
	}
	show();
}

applyTheme(localStorage.getItem(THEME_KEY) ??
	(matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark'));
// A link to the page shown (#/chart from /, where the chart is the
// default) keeps it as it is: nothing is drawn or read again.
window.addEventListener('hashchange', () => { if (user && page() !== shown) show(); });
onSession((signedIn) => {
	if (!signedIn && user) {
		user = null;
		show();
	}
});
// A reload of the tab keeps the session through its refresh token.
refresh().then((ok) => { if (ok) void start(); else show(); });
