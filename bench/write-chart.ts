/** One bar of the throughput panel. */
export interface ThroughputBar {
  label: string;
  perSec: number;
}

/** One target of the issue, as measured. */
export interface TargetBar {
  label: string;
  value: number;
  target: number;
  /** 'min': the value must be at least the target; 'max': at most. */
  kind: 'min' | 'max';
  /** How to print the value and the target (e.g. "0.62", "310 ms"). */
  format: (n: number) => string;
}

const GREEN = '#2e7d32';
const RED = '#c62828';
const GREY = '#607d8b';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function textAt(x: number, y: number, text: string, extra = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${extra}>${escapeXml(text)}</text>`;
}

/**
 * Draws the results as a standalone SVG (no dependencies): records/s of the throughput contenders, then
 * every target of the issue as a bar scaled to its own target, with the target drawn as a line. Green holds,
 * red does not.
 */
export function renderChart(
  title: string,
  throughputTitle: string,
  throughput: readonly ThroughputBar[],
  targets: readonly TargetBar[],
) {
  const width = 760;
  const labelWidth = 230;
  const barMax = width - labelWidth - 150;
  const rowHeight = 26;
  const parts: string[] = [];
  let y = 30;
  parts.push(textAt(12, y, title, 'font-size="16" font-weight="bold"'));
  y += 28;
  parts.push(textAt(12, y, throughputTitle, 'font-weight="bold"'));
  y += 12;
  const top = Math.max(...throughput.map((bar) => bar.perSec), 1);
  for (const bar of throughput) {
    const length = (bar.perSec / top) * barMax;
    parts.push(textAt(12, y + 17, bar.label));
    parts.push(
      `<rect x="${labelWidth}" y="${y + 4}" width="${length.toFixed(1)}" height="18" fill="${GREY}" rx="2"/>`,
    );
    parts.push(
      textAt(labelWidth + length + 6, y + 17, `${Math.round(bar.perSec).toLocaleString('en-US')}/s`),
    );
    y += rowHeight;
  }
  y += 22;
  parts.push(textAt(12, y, 'Targets of issue 5 (bar = measured, line = target)', 'font-weight="bold"'));
  y += 12;
  for (const bar of targets) {
    const scaleTop = Math.max(bar.value, bar.target) * 1.15 || 1;
    const length = (bar.value / scaleTop) * barMax;
    const targetX = labelWidth + (bar.target / scaleTop) * barMax;
    const holds = bar.kind === 'min' ? bar.value >= bar.target : bar.value <= bar.target;
    parts.push(textAt(12, y + 17, bar.label));
    parts.push(
      `<rect x="${labelWidth}" y="${y + 4}" width="${Math.max(length, 1).toFixed(1)}" height="18" fill="${holds ? GREEN : RED}" rx="2"/>`,
    );
    parts.push(
      `<line x1="${targetX.toFixed(1)}" x2="${targetX.toFixed(1)}" y1="${y + 1}" y2="${y + 25}" stroke="#000" stroke-width="2" stroke-dasharray="3,2"/>`,
    );
    const sign = bar.kind === 'min' ? '≥' : '≤';
    parts.push(
      textAt(
        labelWidth + Math.max(length, targetX - labelWidth) + 8,
        y + 17,
        `${bar.format(bar.value)} (${sign} ${bar.format(bar.target)})`,
      ),
    );
    y += rowHeight;
  }
  const height = y + 16;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
