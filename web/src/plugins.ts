// plugins.ts -- the plugins page: every loaded plugin (kind, version, ABI,
// licence, trust, instances) with its parameters on demand, the module
// files the loader refused and why, and for admins the instance file
// editor: the file's text, "Check" (the server's config check, each
// problem at its line and column, a click puts the cursor there) and
// "Save" (checked again by the server, written and reloaded).
import { errorBox, h, replace, showError, table } from './dom';
import * as api from './routes';

/** Draws the plugins page. */
export function pluginsPage(root: HTMLElement, me: api.Me): void {
	const err = errorBox();
	const list = h('div', { id: 'plugins' });
	const refused = h('div', { id: 'refused' });
	const info = h('div', { id: 'plugin-info', 'aria-live': 'polite' });
	replace(root,
		h('section', { class: 'panel' }, h('h2', {}, 'Plugins'), err, list, info),
		h('section', { class: 'panel' }, h('h2', {}, 'Refused files'),
			h('p', { class: 'muted' }, 'Module files the loader would not load, with the reason.'), refused),
		me.scopes.includes('admin') ? configEditor() : null);

	function showInfo(name: string): void {
		api.plugin(name).then((p) => {
			replace(info, h('h3', {}, `${p.name} ${p.version}`),
				h('p', { class: 'muted' }, p.description || 'no description', ' · ', h('code', {}, p.file)),
				p.requires.length ? h('p', {}, 'Requires: ' + p.requires.join(', ')) : null,
				p.outputs ? h('p', {}, 'Outputs: ' + p.outputs.join(', ')) : null,
				table(p.params ?? [], [
					['Parameter', (s) => s.name], ['Type', (s) => s.type],
					['Default', (s) => s.default === undefined ? '' : String(s.default)],
					['Range', (s) => [s.min, s.max].map((v) => v === undefined ? '' : String(v)).join(' … ')],
					['Choices', (s) => (s.choices ?? []).join(', ')],
					['Required', (s) => s.required ? 'yes' : ''],
					['Description', (s) => s.description],
				], 'no parameters'));
		}).catch((e) => showError(err, e));
	}

	api.plugins().then(({ plugins, refused: bad }) => {
		replace(list, table(plugins, [
			['Name', (p) => h('button', { type: 'button', class: 'link', 'data-plugin': p.name, onclick: () => showInfo(p.name) }, p.name)],
			['Kind', (p) => p.kind], ['Version', (p) => p.version], ['ABI', (p) => p.abi],
			['Licence', (p) => p.license],
			['Trust', (p) => p.sandbox_only ? h('span', { class: 'bad' }, 'sandbox only') : 'trusted'],
			['Instances', (p) => (p.instances ?? []).map((i) => `${i.name} (${i.sandboxed ? 'sandboxed' : i.state})`).join(', ')],
			['Description', (p) => h('span', { class: 'wrap' }, p.description)],
		], 'no plugin is loaded'));
		replace(refused, table(bad, [
			['File', (r) => h('code', {}, r.file)], ['Plugin', (r) => r.name ?? ''],
			['Reason', (r) => h('span', { class: 'wrap' }, r.reason)],
		], 'none: every module file was loaded'));
	}).catch((e) => showError(err, e));
}

/** Offset of line `line`, column `col` (both from 1) in `text`. */
function offsetOf(text: string, line: number, col: number): number {
	let at = 0;
	for (let l = 1; l < line; l++) {
		const nl = text.indexOf('\n', at);
		if (nl < 0)
			return text.length;
		at = nl + 1;
	}
	return Math.min(text.length, at + Math.max(0, col - 1));
}

/** The instance file editor (admins). */
function configEditor(): HTMLElement {
	const err = errorBox();
	const pick = h('select', { id: 'config-instance', 'aria-label': 'Instance' });
	const text = h('textarea', { id: 'config-text', spellcheck: 'false', rows: 16, 'aria-label': 'Instance file (JSON)', 'aria-describedby': 'config-problems' });
	const problems = h('div', { id: 'config-problems', 'aria-live': 'polite' });
	const check = h('button', { type: 'button', id: 'config-check' }, 'Check');
	const save = h('button', { type: 'submit', id: 'config-save' }, 'Save');
	const where = h('p', { class: 'muted', id: 'config-file' });
	let version = '';
	let name = '';

	function show(list: api.TextProblem[]): void {
		text.setAttribute('aria-invalid', String(list.length > 0));
		replace(problems, list.length === 0 ? h('p', { class: 'good' }, 'valid: a reload would accept it') :
			h('ul', { class: 'problems' }, ...list.map((p) => h('li', {},
				h('button', { type: 'button', class: 'link', onclick: () => {
					const at = offsetOf(text.value, p.line, p.column);
					text.focus();
					text.setSelectionRange(at, at);
				} }, `line ${p.line}, column ${p.column}`), ': ', p.message))));
	}

	function load(): void {
		name = pick.value;
		showError(err, null);
		replace(problems);
		if (!name)
			return;
		api.instanceFile(name).then((f) => {
			if (f.name !== pick.value)
				return;
			text.value = f.text;
			version = f.version;
			where.textContent = f.file;
			text.removeAttribute('aria-invalid');
		}).catch((e) => showError(err, e));
	}

	function runCheck(): Promise<boolean> {
		showError(err, null);
		return api.checkConfig(text.value).then((list) => { show(list); return list.length === 0; });
	}

	check.addEventListener('click', () => { runCheck().catch((e) => showError(err, e)); });
	pick.addEventListener('change', load);
	const form = h('form', { id: 'config-form', class: 'config-form' },
		h('div', { class: 'toolbar' }, h('label', { class: 'field' }, h('span', {}, 'Instance'), pick), check, save),
		where, text, problems, err);
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		save.disabled = true;
		runCheck().then(async (valid) => {
			if (!valid)
				return;
			version = await api.saveInstanceFile(name, text.value, version);
			replace(problems, h('p', { class: 'good', id: 'config-saved' }, 'saved and reloaded'));
		}).catch((e) => showError(err, e)).finally(() => { save.disabled = false; });
	});
	api.instances().then((list) => {
		replace(pick, ...list.map((i) => h('option', { value: i.name }, `${i.name} (${i.plugin})`)));
		load();
	}).catch((e) => showError(err, e));
	return h('section', { class: 'panel' }, h('h2', {}, 'Instance file'),
		h('p', { class: 'muted' }, 'The instance\'s JSON file. Check asks the server; Save checks, writes it and reloads (the instance restarts if it changed).'),
		form);
}
