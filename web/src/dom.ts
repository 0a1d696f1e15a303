// dom.ts -- building the page without innerHTML: every server string goes
// in as text, so nothing the API returns can become markup.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/**
 * An element: `attrs` are attributes, except `on<event>` (listeners) and
 * `text`; children are nodes or text.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K,
	attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs)) {
		if (v === undefined || v === false)
			continue;
		if (k.startsWith('on') && typeof v === 'function')
			el.addEventListener(k.slice(2), v);
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
	append(el, ...children);
	return el;
}

/** Appends children (text as text nodes). */
export function append(el: Node, ...children: Child[]): void {
	for (const c of children)
		if (c !== null && c !== undefined && c !== false)
			el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: Child[]): void {
	el.replaceChildren();
	append(el, ...children);
}

/** The value of a CSS variable of the page's theme ("--up"). */
export function css(name: string): string {
	return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** The message of a failure as users should read it. */
export function errorText(e: unknown): string {
	return e instanceof Error ? e.message : String(e);
}

/** A region for a form's or a panel's errors, announced to screen readers. */
export function errorBox(): HTMLParagraphElement {
	return h('p', { class: 'error', role: 'alert', hidden: true });
}

/** Shows (or, with null, hides) an error in a box from errorBox(). */
export function showError(box: HTMLElement, e: unknown | null): void {
	box.hidden = e === null;
	box.textContent = e === null ? '' : errorText(e);
}

/** A number for a table cell: up to `digits` decimals, grouped. */
export function num(v: unknown, digits = 4): string {
	return typeof v === 'number' && Number.isFinite(v) ?
		v.toLocaleString('en-US', { maximumFractionDigits: digits }) :
		v === null || v === undefined ? '' : String(v);
}

/** A time in ms as UTC "YYYY-MM-DD HH:MM:SS". */
export function time(ms: unknown): string {
	return typeof ms === 'number' ? new Date(ms).toISOString().slice(0, 19).replace('T', ' ') : '';
}

/**
 * A table of rows: `cols` are [header, cell of a row]; an empty list shows
 * `empty` instead.
 */
export function table<T>(rows: T[], cols: Array<[string, (r: T) => Child]>,
	empty = 'none'): HTMLElement {
	if (rows.length === 0)
		return h('p', { class: 'muted' }, empty);
	return h('div', { class: 'scroll' }, h('table', {},
		h('thead', {}, h('tr', {}, ...cols.map(([t]) => h('th', { scope: 'col' }, t)))),
		h('tbody', {}, ...rows.map((r) => h('tr', {}, ...cols.map(([, f]) => h('td', {}, f(r))))))));
}

/** A labelled form field wrapping `input`. */
export function field(label: string, input: HTMLElement): HTMLLabelElement {
	return h('label', { class: 'field' }, h('span', {}, label), input);
}
