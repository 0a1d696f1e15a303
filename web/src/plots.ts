// plots.ts -- small canvas plots the chart library has no form for: an
// optimisation's heat map over two parameters, bars per walk-forward
// window and a Monte Carlo run's percentile bands.  Each is a figure
// that redraws when its width or the theme changes, follows the pointer
// and the arrow keys (the value under them read out in text), and takes
// its colours from the page's CSS variables.
import { css, h } from './dom';

/**
 * A canvas `height` px high that fills its figure's width, drawn by `draw`
 * in CSS pixels (sharp on high-density screens) now and on every resize;
 * in the keyboard's order when it answers keys (`focusable`).
 */
function surface(height: number, label: string,
	draw: (g: CanvasRenderingContext2D, w: number, h: number) => void,
	focusable = true): { canvas: HTMLCanvasElement; redraw: () => void } {
	const canvas = h('canvas', { tabindex: focusable ? '0' : undefined, role: 'img', 'aria-label': label, style: `height:${height}px` });
	const redraw = (): void => {
		const w = canvas.clientWidth;
		if (w === 0)
			return;
		const r = window.devicePixelRatio || 1;
		canvas.width = Math.round(w * r);
		canvas.height = Math.round(height * r);
		const g = canvas.getContext('2d');
		if (!g)
			return;
		g.setTransform(r, 0, 0, r, 0, 0);
		g.clearRect(0, 0, w, height);
		g.font = '12px system-ui, sans-serif';
		draw(g, w, height);
	};
	new ResizeObserver(redraw).observe(canvas);
	return { canvas, redraw };
}

/** A colour from a dark blue through teal and green to yellow, t in 0..1. */
export function scaleColour(t: number): string {
	const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
	const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
	const i = Math.min(stops.length - 2, Math.floor(x));
	const f = x - i;
	const c = stops[i].map((v, k) => Math.round(v + (stops[i + 1][k] - v) * f));
	return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** What a heat map shows: a value (or null: none) per (x, y). */
export interface HeatMap {
	xName: string; yName: string; xs: number[]; ys: number[];
	value: (x: number, y: number) => number | null;
	label: string; format: (v: number) => string;
}

/**
 * A heat map of m: cells coloured from the lowest value to the highest,
 * a legend of the scale, and the cell under the pointer or the keyboard's
 * cursor (arrow keys) read out.  Cells without a value are hatched.
 */
export function heatMap(m: HeatMap): HTMLElement {
	const readout = h('p', { class: 'readout', 'aria-live': 'polite' }, 'Point at a cell, or focus the map and use the arrow keys.');
	const vals: Array<Array<number | null>> = m.ys.map((y) => m.xs.map((x) => m.value(x, y)));
	const flat = vals.flat().filter((v): v is number => v !== null && Number.isFinite(v));
	const lo = flat.length ? Math.min(...flat) : 0;
	const hi = flat.length ? Math.max(...flat) : 1;
	let cur: [number, number] | null = null;
	const pad = { l: 64, r: 12, t: 8, b: 40 };
	const { canvas, redraw } = surface(Math.max(220, Math.min(420, 28 * m.ys.length + 48)),
		`Heat map of ${m.label} over ${m.xName} and ${m.yName}`, (g, w, hh) => {
			const cw = (w - pad.l - pad.r) / m.xs.length;
			const ch = (hh - pad.t - pad.b) / m.ys.length;
			m.ys.forEach((_, j) => m.xs.forEach((__, i) => {
				const v = vals[j][i];
				const x = pad.l + i * cw;
				const y = pad.t + (m.ys.length - 1 - j) * ch;
				if (v === null || !Number.isFinite(v)) {
					g.strokeStyle = css('--line');
					g.beginPath();
					g.moveTo(x, y + ch);
					g.lineTo(x + cw, y);
					g.stroke();
					return;
				}
				g.fillStyle = scaleColour(hi > lo ? (v - lo) / (hi - lo) : 0.5);
				g.fillRect(x, y, Math.ceil(cw), Math.ceil(ch));
			}));
			if (cur) {
				g.strokeStyle = css('--focus');
				g.lineWidth = 2;
				g.strokeRect(pad.l + cur[0] * cw + 1, pad.t + (m.ys.length - 1 - cur[1]) * ch + 1, cw - 2, ch - 2);
				g.lineWidth = 1;
			}
			g.fillStyle = css('--muted');
			g.textAlign = 'center';
			const everyX = Math.max(1, Math.ceil(m.xs.length / Math.max(1, Math.floor((w - pad.l) / 44))));
			m.xs.forEach((x, i) => {
				if (i % everyX === 0)
					g.fillText(String(x), pad.l + (i + 0.5) * cw, hh - pad.b + 16);
			});
			g.fillText(m.xName, pad.l + (w - pad.l - pad.r) / 2, hh - 6);
			g.textAlign = 'right';
			const everyY = Math.max(1, Math.ceil(m.ys.length / Math.max(1, Math.floor((hh - pad.b) / 16))));
			m.ys.forEach((y, j) => {
				if (j % everyY === 0)
					g.fillText(String(y), pad.l - 6, pad.t + (m.ys.length - 1 - j + 0.5) * ch + 4);
			});
			g.save();
			g.translate(12, pad.t + (hh - pad.t - pad.b) / 2);
			g.rotate(-Math.PI / 2);
			g.textAlign = 'center';
			g.fillText(m.yName, 0, 0);
			g.restore();
		});
	canvas.dataset.cells = String(flat.length);
	const show = (i: number, j: number): void => {
		cur = [i, j];
		const v = vals[j][i];
		readout.textContent = `${m.xName}=${m.xs[i]} ${m.yName}=${m.ys[j]}: ` +
			(v === null || !Number.isFinite(v) ? 'no value (invalid, or not among the results)' : `${m.label} ${m.format(v)}`);
		readout.dataset.value = v === null ? '' : String(v);
		redraw();
	};
	canvas.addEventListener('pointermove', (ev) => {
		const w = canvas.clientWidth, hh = canvas.clientHeight;
		const i = Math.floor((ev.offsetX - pad.l) / ((w - pad.l - pad.r) / m.xs.length));
		const j = m.ys.length - 1 - Math.floor((ev.offsetY - pad.t) / ((hh - pad.t - pad.b) / m.ys.length));
		if (i >= 0 && i < m.xs.length && j >= 0 && j < m.ys.length && (!cur || cur[0] !== i || cur[1] !== j))
			show(i, j);
	});
	canvas.addEventListener('keydown', (ev) => {
		const d: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
		const step = d[ev.key];
		if (!step)
			return;
		ev.preventDefault();
		const [i, j] = cur ?? [0, 0];
		show(Math.min(m.xs.length - 1, Math.max(0, i + (cur ? step[0] : 0))),
			Math.min(m.ys.length - 1, Math.max(0, j + (cur ? step[1] : 0))));
	});
	const legend = h('div', { class: 'legend' },
		h('span', {}, m.format(lo)),
		h('span', { class: 'ramp', style: `background:linear-gradient(to right,${[0, 0.25, 0.5, 0.75, 1].map(scaleColour).join(',')})` }),
		h('span', {}, m.format(hi)), h('span', { class: 'muted' }, m.label));
	return h('figure', { class: 'plot heatmap' }, canvas, legend, readout);
}

/** Bars per category: one or more series of signed values. */
export interface Bars {
	labels: string[]; label: string;
	series: Array<{ name: string; values: Array<number | null>; format: (v: number) => string }>;
}

/**
 * Grouped bars around a zero line, each series scaled on its own (their
 * units differ: an objective beside a return), up green and down red, the
 * series told apart by shade; the group under the pointer or the
 * keyboard's cursor (left/right) read out.
 */
export function bars(b: Bars): HTMLElement {
	const readout = h('p', { class: 'readout', 'aria-live': 'polite' }, 'Point at a bar, or focus the chart and use the arrow keys.');
	let cur = -1;
	const pad = { l: 12, r: 12, t: 10, b: 24 };
	const { canvas, redraw } = surface(200, b.label, (g, w, hh) => {
		const n = b.labels.length;
		const gw = (w - pad.l - pad.r) / Math.max(1, n);
		const bw = Math.max(1, (gw * 0.8) / b.series.length);
		const mid = pad.t + (hh - pad.t - pad.b) / 2;
		const half = (hh - pad.t - pad.b) / 2;
		if (cur >= 0) {
			g.fillStyle = css('--grid');
			g.fillRect(pad.l + cur * gw, pad.t, gw, hh - pad.t - pad.b);
		}
		b.series.forEach((s, k) => {
			const top = Math.max(1e-12, ...s.values.map((v) => Math.abs(v ?? 0)));
			g.globalAlpha = k === 0 ? 1 : 0.55;
			s.values.forEach((v, i) => {
				if (v === null || !Number.isFinite(v))
					return;
				const len = (Math.abs(v) / top) * half;
				g.fillStyle = v >= 0 ? css('--up') : css('--down');
				g.fillRect(pad.l + i * gw + gw * 0.1 + k * bw, v >= 0 ? mid - len : mid, bw - 1, Math.max(1, len));
			});
		});
		g.globalAlpha = 1;
		g.strokeStyle = css('--muted');
		g.beginPath();
		g.moveTo(pad.l, mid);
		g.lineTo(w - pad.r, mid);
		g.stroke();
		g.fillStyle = css('--muted');
		g.textAlign = 'center';
		const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(w / 90))));
		b.labels.forEach((l, i) => {
			if (i % every === 0)
				g.fillText(l, pad.l + (i + 0.5) * gw, hh - 6);
		});
	});
	canvas.dataset.bars = String(b.labels.length);
	const show = (i: number): void => {
		cur = i;
		readout.textContent = `${b.labels[i]}: ` + b.series.map((s) => {
			const v = s.values[i];
			return `${s.name} ${v === null || !Number.isFinite(v) ? '—' : s.format(v)}`;
		}).join(', ');
		redraw();
	};
	canvas.addEventListener('pointermove', (ev) => {
		const i = Math.floor((ev.offsetX - pad.l) / ((canvas.clientWidth - pad.l - pad.r) / Math.max(1, b.labels.length)));
		if (i >= 0 && i < b.labels.length && i !== cur)
			show(i);
	});
	canvas.addEventListener('keydown', (ev) => {
		if (ev.key !== 'ArrowLeft' && ev.key !== 'ArrowRight')
			return;
		ev.preventDefault();
		show(Math.min(b.labels.length - 1, Math.max(0, cur < 0 ? 0 : cur + (ev.key === 'ArrowLeft' ? -1 : 1))));
	});
	const key = h('div', { class: 'legend' }, ...b.series.map((s, k) =>
		h('span', {}, h('span', { class: 'swatch', style: `opacity:${k === 0 ? 1 : 0.55}` }), s.name)));
	return h('figure', { class: 'plot' }, canvas, key, readout);
}

/** A row of percentile bands: the 5th to 95th range, the median, and a mark. */
export interface Band { name: string; p5: number; p50: number; p95: number; mark?: number; markName?: string }

/**
 * Percentile bands on one shared axis (fractions shown as %): a bar from
 * the 5th to the 95th percentile, a tick at the median, and a diamond at
 * `mark` (the backtest's own value).
 */
export function bands(rows: Band[], label: string): HTMLElement {
	const all = rows.flatMap((r) => [r.p5, r.p95, r.mark ?? r.p50, 0]);
	const lo = Math.min(...all), hi = Math.max(...all);
	const span = hi > lo ? hi - lo : 1;
	const pad = { l: 110, r: 24, t: 10, b: 28 };
	const rowH = 44;
	const pct = (v: number): string => (v * 100).toFixed(2) + ' %';
	const { canvas } = surface(pad.t + pad.b + rowH * rows.length, label, (g, w, hh) => {
		const x = (v: number): number => pad.l + ((v - lo) / span) * (w - pad.l - pad.r);
		g.strokeStyle = css('--grid');
		g.beginPath();
		g.moveTo(x(0), pad.t);
		g.lineTo(x(0), hh - pad.b);
		g.stroke();
		rows.forEach((r, i) => {
			const y = pad.t + i * rowH + rowH / 2;
			g.fillStyle = css('--fg');
			g.textAlign = 'right';
			g.fillText(r.name, pad.l - 10, y + 4);
			g.fillStyle = css('--accent');
			g.globalAlpha = 0.35;
			g.fillRect(x(r.p5), y - 10, Math.max(2, x(r.p95) - x(r.p5)), 20);
			g.globalAlpha = 1;
			g.fillRect(x(r.p50) - 1.5, y - 14, 3, 28);
			if (r.mark !== undefined) {
				g.fillStyle = css('--focus');
				g.beginPath();
				g.moveTo(x(r.mark), y - 7);
				g.lineTo(x(r.mark) + 7, y);
				g.lineTo(x(r.mark), y + 7);
				g.lineTo(x(r.mark) - 7, y);
				g.fill();
			}
		});
		g.fillStyle = css('--muted');
		g.textAlign = 'center';
		for (let k = 0; k <= 4; k++) {
			const v = lo + (span * k) / 4;
			g.fillText(pct(v), x(v), hh - 8);
		}
	}, false);
	const text = h('ul', { class: 'bands' }, ...rows.map((r) => h('li', {},
		`${r.name}: 5th ${pct(r.p5)}, median ${pct(r.p50)}, 95th ${pct(r.p95)}` +
		(r.mark !== undefined ? `; ${r.markName ?? 'actual'} ${pct(r.mark)}` : ''))));
	const key = h('div', { class: 'legend' },
		h('span', {}, h('span', { class: 'swatch band' }), '5th–95th percentile'),
		h('span', {}, h('span', { class: 'swatch median' }), 'median'),
		h('span', {}, h('span', { class: 'swatch mark' }), 'the backtest'));
	return h('figure', { class: 'plot' }, canvas, key, text);
}
