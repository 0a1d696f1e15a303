// account.ts -- the signed-in user: plan and its limits, 2FA enrolment
// (the QR code the server draws, then a code to confirm and the recovery
// codes shown once), and API keys (the secret shown once, revoke).
import { errorBox, field, h, num, replace, showError, table, time } from './dom';
import * as api from './routes';

/** Draws the account page. */
export function accountPage(root: HTMLElement, me: api.Me): void {
	const planBox = h('div', {});
	const keysBox = h('div', { id: 'keys' });
	const err = errorBox();
	replace(root,
		h('section', { class: 'panel' }, h('h2', {}, 'You'),
			h('p', {}, `${me.username}: ${me.role}, plan ${me.plan}, scopes ${me.scopes}`), planBox),
		twoFactorPanel(),
		h('section', { class: 'panel' }, h('h2', {}, 'API keys'), keyForm(() => drawKeys()), err, keysBox));

	api.plans().then((ps) => {
		const p = ps.find((x) => x.name === me.plan);
		if (p)
			replace(planBox, h('p', {}, `Requests per minute ${num(p.api_per_min)}; symbols followed live ${p.symbols < 0 ? 'unlimited' : num(p.symbols)}; push delay ${p.push_delay_ms ? num(p.push_delay_ms / 1000) + ' s' : 'none'}.`));
	}).catch((e) => showError(err, e));

	function drawKeys(): void {
		api.apiKeys().then((keys) => replace(keysBox, table(keys, [
			['Id', (k) => k.id], ['Label', (k) => k.label ?? ''], ['Scopes', (k) => k.scopes],
			['Created (UTC)', (k) => time(k.created)],
			['', (k) => k.revoked ? 'revoked ' + time(k.revoked) :
				h('button', { type: 'button', class: 'small', onclick: () => { api.revokeKey(k.id).then(drawKeys).catch((e) => showError(err, e)); } }, 'Revoke')],
		], 'no API key'))).catch((e) => showError(err, e));
	}
	drawKeys();
}

function keyForm(changed: () => void): HTMLElement {
	const err = errorBox();
	const shown = h('div', { id: 'key-secret' });
	const label = h('input', { id: 'key-label', placeholder: 'what it is for' });
	const scopes = h('select', { id: 'key-scopes' }, ...['read', 'read,trade', 'read,trade,admin'].map((s) => h('option', { value: s }, s)));
	const form = h('form', { class: 'grid-form' }, field('Label', label), field('Scopes', scopes),
		h('button', { type: 'submit' }, 'Create key'));
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		showError(err, null);
		api.createKey(scopes.value, label.value).then((k) => {
			replace(shown, h('div', { class: 'secret' },
				h('p', {}, 'Copy the secret now: it is not shown again.'),
				h('p', {}, 'Key ', h('code', {}, k.id)), h('p', {}, 'Secret ', h('code', {}, k.secret))));
			changed();
		}).catch((e) => showError(err, e));
	});
	return h('div', {}, form, err, shown);
}

function twoFactorPanel(): HTMLElement {
	const err = errorBox();
	const body = h('div', {});
	const start = h('button', { type: 'button', id: 'enroll' }, 'Set up two-factor authentication');
	start.addEventListener('click', () => {
		showError(err, null);
		api.enroll2fa().then((en) => {
			const img = h('img', { class: 'qr', alt: 'QR code of the authenticator secret', src: 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(en.qr_svg) });
			const code = h('input', { id: 'otp-confirm', inputmode: 'numeric', autocomplete: 'one-time-code', required: true });
			const form = h('form', { class: 'grid-form' }, field('Code from the app', code), h('button', { type: 'submit' }, 'Turn on'));
			form.addEventListener('submit', (ev) => {
				ev.preventDefault();
				showError(err, null);
				api.confirm2fa(code.value).then((codes) => replace(body,
					h('p', {}, 'Two-factor authentication is on. Recovery codes (each works once; keep them safe, they are not shown again):'),
					h('ul', { class: 'codes' }, ...codes.map((c) => h('li', {}, h('code', {}, c))))))
					.catch((e) => showError(err, e));
			});
			replace(body, h('p', {}, 'Scan the code with an authenticator app, or enter the secret by hand:'),
				img, h('p', {}, h('code', { id: 'totp-secret' }, en.secret)), form);
			code.focus();
		}).catch((e) => showError(err, e));
	});
	replace(body, start);
	return h('section', { class: 'panel' }, h('h2', {}, 'Two-factor authentication'), body, err);
}
