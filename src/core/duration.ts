import { FerryError } from './errors.ts';

const durationUnitsMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const sizeUnits: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** Parses a config duration such as "250ms", "30s", "5m" or a bare number of milliseconds. */
export function parseDurationMs(value: string | number, where = 'duration'): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/i.exec(String(value));
  if (!match) {
    throw new FerryError(
      'FERRY_ERR_CONFIG_INVALID',
      `${where}: expected a duration like "500ms", "30s" or "5m", got ${JSON.stringify(value)}`,
    );
  }
  return Math.round(Number(match[1]) * durationUnitsMs[match[2]!.toLowerCase()]!);
}

/** Parses a config size such as "1MB", "512kb" or a bare number of bytes. */
export function parseSizeBytes(value: string | number, where = 'size'): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)\s*$/i.exec(String(value));
  if (!match) {
    throw new FerryError(
      'FERRY_ERR_CONFIG_INVALID',
      `${where}: expected a size like "512kb" or "1MB", got ${JSON.stringify(value)}`,
    );
  }
  return Math.round(Number(match[1]) * sizeUnits[match[2]!.toLowerCase()]!);
}

/** Formats a duration for a person: "850ms", "5s", "12.3s", "4m 05s" or "1h 02m 05s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = String(totalSeconds % 60).padStart(2, '0');
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m ${s}s` : `${m}m ${s}s`;
}
