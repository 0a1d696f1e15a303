// login.ts -- the sign-in form: user name and password, then, when the
// server answers that the account has 2FA on, a second step for the TOTP
// (or a recovery) code.
import { login } from './api';
import { errorBox, field, h, replace, showError } from './dom';

/** Draws the sign-in form into `root`; `done` runs once signed in. */
export function loginPage(root: HTMLElement, done: () => void): void {
	const err = errorBox();
	const user = h('input', { name: 'username', id: 'username', autocomplete: 'username', required: true });
	const pass = h('input', { name: 'password', id: 'password', type: 'password', autocomplete: 'current-password', required: true });
	const otp = h('input', { name: 'otp', id: 'otp', autocomplete: 'one-time-code', inputmode: 'numeric', required: true });
	const otpStep = h('div', { hidden: true }, h('p', {}, 'Two-factor authentication is on: enter the code from your app (or a recovery code).'), field('Code', otp));
	const submit = h('button', { type: 'submit' }, 'Sign in');
	otp.disabled = true;
	const form = h('form', { class: 'login panel', id: 'login' },
		h('h1', {}, 'quantd'),
		field('User name', user), field('Password', pass), otpStep, submit, err);
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		showError(err, null);
		submit.disabled = true;
		login(user.value, pass.value, otp.disabled ? undefined : otp.value)
			.then((r) => {
				if (r === 'ok') {
					done();
					return;
				}
				otpStep.hidden = false;
				otp.disabled = false;
				submit.textContent = 'Verify';
				otp.focus();
			})
			.catch((e) => {
				showError(err, e);
				if (!otp.disabled) {
					otp.value = '';
					otp.focus();
				}
			})
			.finally(() => { submit.disabled = false; });
	});
	replace(root, form);
	user.focus();
}
