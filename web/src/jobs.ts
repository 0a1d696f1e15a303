// jobs.ts -- the job routes (backtests, optimisations with their
// walk-forward form, Monte Carlo runs, Chan analyses) and the strategy
// plugins' parameter specs their forms are made from, typed (docs/api.md,
// "jobs"; docs/backtest.md and docs/chan.md for the results).
import { call, callText } from './api';

/** A job as the routes and the jobs channel show it. */
export interface Job {
	id: number; kind: 'backtest' | 'optimize' | 'walkforward' | 'montecarlo' | 'chan';
	user: string; state: 'queued' | 'running' | 'done' | 'failed' | 'canceled';
	progress: number; created_ms: number; started_ms?: number; finished_ms?: number;
	cpu_ms?: number; error?: string; request?: JobRequest;
}

/** The stored candles a run reads. */
export interface DataRange { exchange: string; symbol: string; timeframe: string; from: number; to: number }

/** One axis of an optimisation's grid. */
export interface Axis { min: number; max: number; step: number }

/** What a job was asked to do (the validated request). */
export interface JobRequest {
	strategy?: string; params?: Record<string, string | number | boolean>;
	data?: DataRange; cash?: number; fee_rate?: number; equity_every?: string;
	grid?: Record<string, Axis>; objective?: string;
	walk_forward?: { train: number; test: number; step?: number };
	backtest?: number; runs?: number; seed?: number;
	/** a Chan analysis's merged K-lines from fractal to fractal */
	min_gap?: number;
}

/** A trade of a backtest (`exit_*` null while it is open). */
export interface Trade {
	symbol: string; side: 'long' | 'short'; qty: number; entry_ts: number; entry_price: number;
	exit_ts: number | null; exit_price: number | null; fees: number; pnl: number;
}

/** What a strategy attached to its chart (api->annotate). */
export interface Annotation { ts: number; kind: string; data: Record<string, unknown> }

/** `quantctl backtest --json`. */
export interface BacktestResult {
	metrics: Record<string, number>; trades: Trade[];
	equity?: Array<[number, number]>; annotations?: Annotation[];
}

/** One grid point of an optimisation, `params` as "fast=5 slow=20". */
export interface Point {
	params: string; ok: boolean; sharpe: number | null; total_return: number | null;
	max_drawdown: number | null; calmar: number | null; trades: number;
}

/** `quantctl optimize --json`: the best points, best first. */
export interface OptimizeResult { objective: string; points: number; results: Point[] }

/** `quantctl optimize --walk-forward --json`. */
export interface WalkForwardResult {
	windows: Array<{ test_from: number; params: string; in_sample: number | null; oos_return: number | null }>;
	out_of_sample: BacktestResult;
	[mean: string]: unknown;
}

/** Percentiles of a Monte Carlo run. */
export interface Percentiles { p5: number; p50: number; p95: number }

/** `quantctl montecarlo --json`. */
export interface MonteCarloResult { runs: number; trades: number; total_return: Percentiles; max_drawdown: Percentiles }

/** A Chan fractal: a top or a bottom at a bar (docs/chan.md). */
export interface ChanFractal { type: 'top' | 'bottom'; ts: number; price: number }

/** `quantctl chan`: the structures of the chan plugin's analysis. */
export interface ChanResult {
	bars: number; klines: number;
	fractals: ChanFractal[];
	strokes: Array<{ dir: 'up' | 'down'; from: ChanFractal; to: ChanFractal; macd_area: number }>;
	segments: Array<{
		dir: 'up' | 'down'; from_stroke: number; to_stroke: number; from_ts: number; to_ts: number;
		high: number; low: number; break: string;
	}>;
	pivots: Array<{ from_stroke: number; to_stroke: number; zg: number; zd: number; from_ts: number; to_ts: number }>;
	points: Array<{ class: number; side: 'buy' | 'sell'; stroke: number; ts: number; price: number }>;
}

/** The route families, one per kind (a walk-forward is an optimisation). */
const FAMILIES: Record<Job['kind'], string> = {
	backtest: '/api/v1/backtests', optimize: '/api/v1/optimizations', walkforward: '/api/v1/optimizations',
	montecarlo: '/api/v1/montecarlo', chan: '/api/v1/chan',
};

/** The route family of a job kind. */
export function jobBase(kind: Job['kind']): string {
	return FAMILIES[kind];
}

/** Every job of the caller (an admin's: everyone's), newest first. */
export async function listJobs(): Promise<Job[]> {
	const lists = await Promise.all([...new Set(Object.values(FAMILIES))]
		.map((p) => call<{ jobs: Job[] }>('GET', p)));
	return lists.flatMap((l) => l.jobs).sort((a, b) => b.id - a.id);
}

/** Queues a job of `kind`; answers it. */
export async function submitJob(kind: 'backtest' | 'optimize' | 'montecarlo' | 'chan', req: JobRequest): Promise<Job> {
	return (await call<{ job: Job }>('POST', jobBase(kind), req)).job;
}

/** Cancels a queued or running job. */
export async function cancelJob(j: Job): Promise<Job> {
	return (await call<{ job: Job }>('DELETE', `${jobBase(j.kind)}/${j.id}`)).job;
}

/** A finished job's result (JSON). */
export function jobResult<T>(j: Job): Promise<T> {
	return call<T>('GET', `${jobBase(j.kind)}/${j.id}/result`);
}

/** A finished backtest's HTML report or trades CSV, as text. */
export function backtestFile(id: number, what: 'report' | 'trades'): Promise<string> {
	return callText(`/api/v1/backtests/${id}/${what}`);
}

/** A plugin parameter's spec (GET /plugins/{name}). */
export interface ParamSpec {
	name: string; type: string; default?: number | string | boolean;
	min?: number; max?: number; choices?: string[]; required: boolean;
	secret?: boolean; description: string;
}

/** The installed strategy plugins' names. */
export async function strategyNames(): Promise<string[]> {
	const r = await call<{ plugins: Array<{ name: string; kind: string }> }>('GET', '/api/v1/plugins');
	return r.plugins.filter((p) => p.kind === 'strategy').map((p) => p.name).sort();
}

/** A plugin's parameter specs. */
export async function paramSpecs(name: string): Promise<ParamSpec[]> {
	const r = await call<{ plugin: { params?: ParamSpec[] } }>('GET', '/api/v1/plugins/' + encodeURIComponent(name));
	return r.plugin.params ?? [];
}

/** The stored candle series: what a run can read. */
export interface Coverage { exchange: string; symbol: string; timeframe: string; first: number; last: number; count: number }

/** Every stored candle series. */
export async function coverage(): Promise<Coverage[]> {
	return (await call<{ series: Coverage[] }>('GET', '/api/v1/data/coverage')).series;
}
