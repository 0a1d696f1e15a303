// strategies.ts -- the strategies page: every instance with its state
// (running, stopped, failed and why), trust and restarts, live from the
// instances channel (its snapshot, then each change as it happens, and
// the instances a reload removed); start,
// stop and restart for admins; and a selected instance's parameters as a
// form generated from its plugin's specs, checked by the server (each
// problem shown at its field) and written into its instance file, after
// which it restarts.
import { ApiError } from './api';
import { errorBox, h, num, replace, showError, table } from './dom';
import { follow, type LiveMessage } from './live';
import { paramFields } from './params';
import * as api from './routes';

/** A change of the instances channel: the instance as listed now, and
 *  the state the host announced ("restarting" while it stays running). */
interface InstanceChange {
	name: string; plugin: string; state: string; reason?: string;
	restarts: number; event: string;
}

/** Draws the strategies page; returns what stops its live updates. */
export function strategiesPage(root: HTMLElement, me: api.Me): () => void {
	const admin = me.scopes.includes('admin');
	const err = errorBox();
	const list = h('div', { id: 'instances' });
	const editor = h('section', { class: 'panel', id: 'params-panel', hidden: true });
	replace(root,
		h('section', { class: 'panel' }, h('h2', {}, 'Instances'),
			h('p', { class: 'muted' }, 'Strategies, exchange adapters and notifiers; their states change here as they happen.'),
			err, list),
		editor);

	let selected: string | null = null;
	let rows: api.Instance[] | null = null;   /* null until the first list */
	let changes = 0;                          /* changes received */
	let snapshots = 0;                        /* snapshots received */
	const changedAt = new Map<string, number>();
	const removedAt = new Map<string, number>();
	let gone = false;

	// The new state comes over the channel (and redraws the row); the
	// button is given back for an action that changed nothing.
	function act(name: string, action: 'start' | 'stop' | 'restart', btn: HTMLButtonElement): void {
		btn.disabled = true;
		showError(err, null);
		api.instanceAction(name, action).catch((e) => showError(err, e))
			.finally(() => { btn.disabled = false; });
	}

	function stateCell(i: api.Instance): HTMLElement {
		const cls = i.state === 'running' ? 'good' : i.state === 'failed' ? 'bad' : 'muted';
		return h('span', { class: 'state ' + cls, 'data-state': i.state },
			i.state, i.reason ? h('span', { class: 'reason' }, ': ' + i.reason) : null);
	}

	let shown = '';
	function draw(): void {
		if (rows === null)
			return;
		// Redrawn only when something changed, and the focused button
		// focused again: a change must not move the keyboard's place.
		const key = JSON.stringify(rows);
		if (key === shown)
			return;
		shown = key;
		const had = list.contains(document.activeElement) ? document.activeElement as HTMLElement : null;
		const where = had ? [had.closest('tr')?.dataset.instance, had.dataset.action] : null;
		const all = rows;
		replace(list, table(all, [
			['Name', (i) => h('span', { class: 'inst-name' }, i.name)],
			['State', stateCell],
			['Actions', (i) => h('span', { class: 'actions' },
				admin && i.state !== 'running' ? h('button', { type: 'button', class: 'small', 'data-action': 'start', 'aria-label': 'Start ' + i.name, onclick: (ev: Event) => act(i.name, 'start', ev.currentTarget as HTMLButtonElement) }, 'Start') : null,
				admin && i.state === 'running' ? h('button', { type: 'button', class: 'small', 'data-action': 'stop', 'aria-label': 'Stop ' + i.name, onclick: (ev: Event) => act(i.name, 'stop', ev.currentTarget as HTMLButtonElement) }, 'Stop') : null,
				admin ? h('button', { type: 'button', class: 'small', 'data-action': 'restart', 'aria-label': 'Restart ' + i.name, onclick: (ev: Event) => act(i.name, 'restart', ev.currentTarget as HTMLButtonElement) }, 'Restart') : null,
				h('button', { type: 'button', class: 'small', 'data-action': 'params', 'aria-pressed': String(selected === i.name), 'aria-label': 'Parameters of ' + i.name, onclick: () => { void openParams(i.name); } }, 'Parameters'))],
			['Plugin', (i) => i.plugin + (i.plugin_version ? ' ' + i.plugin_version : '')],
			['Kind', (i) => i.kind],
			['Trust', (i) => i.sandboxed ? 'sandboxed' : i.trust],
			['Restarts', (i) => num(i.restarts)],
			['Account', (i) => i.account ?? ''],
		], 'no instance is configured'));
		list.querySelectorAll('tbody tr').forEach((tr, k) => tr.setAttribute('data-instance', all[k].name));
		if (where) {
			const row = [...list.querySelectorAll<HTMLElement>('tbody tr')].find((tr) => tr.dataset.instance === where[0]);
			(row?.querySelector<HTMLElement>(`button[data-action="${where[1]}"]`) ??
				row?.querySelector<HTMLElement>('button'))?.focus();
		}
	}

	/*
	 * The list by GET: at open (the socket may still be connecting) and
	 * when a change names an instance the page does not know (a reload
	 * added it).  A snapshot that came while it was on its way wins; a
	 * change that came meanwhile is kept.
	 */
	function fetchList(): void {
		const at = changes, snap = snapshots;
		api.instances().then((list) => {
			if (gone || snapshots !== snap)
				return;
			const old = new Map((rows ?? []).map((i) => [i.name, i]));
			rows = list.filter((i) => (removedAt.get(i.name) ?? 0) <= at)
				.map((i) => ((changedAt.get(i.name) ?? 0) > at ? old.get(i.name) ?? i : i));
			draw();
		}).catch((e) => { if (!gone) showError(err, e); });
	}

	function onInstances(m: LiveMessage): void {
		if (m.type === 'snapshot') {
			rows = (m.data as { instances?: api.Instance[] } | null)?.instances ?? [];
			snapshots++;
			changedAt.clear();
			removedAt.clear();
		} else if (m.type === 'removed') {
			// A reload removed it: its row goes (and its parameters).
			const name = (m.data as { name: string }).name;
			removedAt.set(name, ++changes);
			rows = rows?.filter((r) => r.name !== name) ?? null;
			if (selected === name) {
				selected = null;
				editor.hidden = true;
			}
		} else if (m.type === 'instance') {
			const c = m.data as InstanceChange;
			const i = rows?.find((r) => r.name === c.name);
			changedAt.set(c.name, ++changes);
			removedAt.delete(c.name);
			if (!i) {
				fetchList();
				return;
			}
			i.state = c.state;
			i.restarts = c.restarts;
			if (c.reason)
				i.reason = c.reason;
			else
				delete i.reason;
		} else {
			return;
		}
		draw();
	}

	async function openParams(name: string): Promise<void> {
		selected = name;
		list.querySelectorAll<HTMLButtonElement>('button[data-action="params"]').forEach((b) =>
			b.setAttribute('aria-pressed', String(b.closest('tr')?.dataset.instance === name)));
		editor.hidden = false;
		replace(editor, h('h2', {}, `Parameters of ${name}`), h('p', { class: 'muted' }, 'loading…'));
		let info: api.InstanceInfo;
		try {
			info = await api.instance(name);
		} catch (e) {
			const box = errorBox();
			replace(editor, h('h2', {}, `Parameters of ${name}`), box);
			showError(box, e);
			return;
		}
		if (selected !== name)
			return;
		replace(editor, h('h2', {}, `Parameters of ${name}`), paramsForm(info, admin));
		editor.querySelector<HTMLElement>('input, select')?.focus();
	}

	const unfollow = follow('instances', onInstances);
	fetchList();
	return () => { gone = true; unfollow(); selected = null; };
}

/** The form of an instance's params: checked, then written. */
function paramsForm(info: api.InstanceInfo, admin: boolean): HTMLElement {
	if (info.param_specs.length === 0)
		return h('p', { class: 'muted' }, `${info.plugin} has no parameters.`);
	const f = paramFields(info.param_specs, info.params, 'param-' + info.name);
	const err = errorBox();
	const ok = h('p', { class: 'muted', 'aria-live': 'polite', id: 'params-result' });
	const save = h('button', { type: 'submit', disabled: !admin }, 'Apply (restarts the instance)');
	let version = info.version;
	const form = h('form', { class: 'grid-form params-form', id: 'params-form', novalidate: true },
		...f.fields, save, err, ok);
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		showError(err, null);
		ok.textContent = '';
		const values = f.values();
		save.disabled = true;
		// Every problem at its field first; then the write, whose own
		// refusal (a stale version, a rejected configuration) is shown too.
		api.validateParams(info.name, values).then(async (errors) => {
			if (errors.length > 0) {
				const rest = f.showErrors(errors);
				if (rest.length)
					showError(err, rest.map((e) => `${e.field}: ${e.message}`).join('; '));
				return;
			}
			f.clearErrors();
			version = await api.setParams(info.name, values, version);
			ok.textContent = 'parameters applied; the instance restarts with them';
		}).catch((e) => {
			if (e instanceof ApiError && e.field && f.showErrors([{ field: e.field, message: e.message }]).length === 0)
				return;
			showError(err, e);
		}).finally(() => { save.disabled = !admin; });
	});
	return h('div', {},
		h('p', { class: 'muted' }, `${info.plugin}${info.plugin_version ? ' ' + info.plugin_version : ''}: ` +
			(admin ? 'the server checks every value; a problem is shown at its field.' : 'read only (admins change parameters).')),
		form);
}
