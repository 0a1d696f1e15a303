// params.ts -- a form generated from a plugin's parameter specs: one input
// per spec (number with its range, checkbox, choice list, text; a secret
// as a password field), its description and range as a hint, and a place
// next to it for the server's error about that field (aria-invalid on the
// input, the message tied to it by aria-describedby).
import { h } from './dom';
import type { FieldError, ParamSpec } from './routes';

/** The fields of a form built by paramFields(). */
export interface ParamFields {
	/** The labelled inputs, in spec order. */
	fields: HTMLElement[];
	/** The values as the server takes them (numbers, booleans, strings). */
	values(): Record<string, unknown>;
	/** Shows each error at its field; those of no field are returned. */
	showErrors(errors: FieldError[]): FieldError[];
	/** Clears every field's error. */
	clearErrors(): void;
}

function range(s: ParamSpec): string {
	if (s.min !== undefined && s.max !== undefined)
		return `${s.min} to ${s.max}`;
	if (s.min !== undefined)
		return `at least ${s.min}`;
	if (s.max !== undefined)
		return `at most ${s.max}`;
	return '';
}

/**
 * Inputs for `specs` holding `current` values (defaults where none);
 * `prefix` makes their ids unique on the page.  The form they go in should
 * be `novalidate`: the server's checks are the ones shown.
 */
export function paramFields(specs: ParamSpec[], current: Record<string, unknown> | null,
	prefix: string): ParamFields {
	const inputs = new Map<string, { input: HTMLInputElement | HTMLSelectElement; err: HTMLElement; spec: ParamSpec }>();
	const fields = specs.map((s) => {
		const id = `${prefix}-${s.name}`;
		const value = current && s.name in current ? current[s.name] : s.default;
		let input: HTMLInputElement | HTMLSelectElement;
		if (s.type === 'bool') {
			input = h('input', { type: 'checkbox', id, name: s.name, checked: value === true });
		} else if (s.type === 'enum') {
			input = h('select', { id, name: s.name }, ...(s.choices ?? []).map((c) => h('option', { value: c }, c)));
			if (typeof value === 'string')
				input.value = value;
		} else {
			const numeric = s.type === 'int' || s.type === 'double';
			input = h('input', {
				id, name: s.name, autocomplete: 'off',
				type: s.secret ? 'password' : numeric ? 'number' : 'text',
				step: s.type === 'int' ? '1' : numeric ? 'any' : undefined,
				min: s.min, max: s.max, inputmode: numeric ? 'decimal' : undefined,
				required: s.required,
				value: value === undefined || value === null ? '' : String(value),
			});
		}
		const hint = h('small', { id: id + '-hint', class: 'muted' },
			[s.description, range(s), s.required ? 'required' : ''].filter(Boolean).join(' · '));
		const err = h('small', { id: id + '-err', class: 'field-error', role: 'alert', hidden: true });
		input.setAttribute('aria-describedby', `${id}-hint ${id}-err`);
		inputs.set(s.name, { input, err, spec: s });
		return h('div', { class: 'field param', 'data-param': s.name },
			h('label', { for: id }, s.name, h('span', { class: 'muted' }, ` (${s.type})`)),
			input, hint, err);
	});

	function values(): Record<string, unknown> {
		const out: Record<string, unknown> = {};
		inputs.forEach(({ input, spec }, name) => {
			if (spec.type === 'bool')
				out[name] = (input as HTMLInputElement).checked;
			else if (input.value === '')
				return;    /* left out: its default */
			else if (spec.type === 'int' || spec.type === 'double')
				out[name] = Number(input.value);
			else
				out[name] = input.value;
		});
		return out;
	}

	function clearErrors(): void {
		inputs.forEach(({ input, err }) => {
			input.removeAttribute('aria-invalid');
			err.hidden = true;
			err.textContent = '';
		});
	}

	function showErrors(errors: FieldError[]): FieldError[] {
		clearErrors();
		const rest: FieldError[] = [];
		let first: HTMLElement | null = null;
		for (const e of errors) {
			const f = inputs.get(e.field.replace(/^params\./, ''));
			if (!f) {
				rest.push(e);
				continue;
			}
			f.input.setAttribute('aria-invalid', 'true');
			f.err.hidden = false;
			f.err.textContent = f.err.textContent ? f.err.textContent + '; ' + e.message : e.message;
			first ??= f.input;
		}
		first?.focus();
		return rest;
	}

	return { fields, values, showErrors, clearErrors };
}
