import { type Html, html } from '../html.ts';

/** `2025-01-01 12:00:03 UTC` from RFC 3339; the machine value stays in a <time> element. */
export function when(iso: string | null | undefined): Html | string {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const text = `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  return html`<time datetime="${iso}">${text}</time>`;
}

/** `1 h 2 min`, `3.4 s`, `120 ms`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A count with thousands separated. */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : n.toLocaleString('en-US');
}

/** A status or state as a labelled badge; the word is the label, colour only repeats it. */
export function badge(word: string): Html {
  return html`<span class="badge badge-${word.replace(/[^a-z_]/g, '')}">${word.replace(/_/g, ' ')}</span>`;
}

/** The record states a run counts, in the order tables show them. */
export const COUNTED = ['read', 'delivered', 'skipped', 'quarantined', 'failed'] as const;

/** A short run id for tables (the whole id is in the link and its title). */
export function shortId(id: string): string {
  return id.slice(0, 8);
}
