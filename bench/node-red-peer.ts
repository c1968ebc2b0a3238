/**
 * The peer: Node-RED running the flagship's job with its standard nodes only (an http request node paging
 * through the customers, a split, a function node mapping each customer in the same plain code as the naive
 * script, an http request node POSTing each order with an OAuth 2.0 client-credentials token fetched by an
 * http request node, a join per page). Installed on demand into bench/.peers/ (gitignored), outside ferry's
 * lockfile; pinned, and without optional dependencies (no native bcrypt: Node-RED falls back to bcryptjs).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MockEnv } from './mock-processes.ts';
import { ROOT } from './mock-processes.ts';
import { orderDateNow, plainMapping, text } from './plain-mapping.ts';
import { processCpuMs } from './process-cpu.ts';

/** The Node-RED release measured. */
export const NODE_RED_VERSION = '5.0.7';
const PEER_DIR = join(ROOT, 'bench/.peers', `node-red@${NODE_RED_VERSION}`);
const RED_JS = join(PEER_DIR, 'node_modules/node-red/red.js');

/** Installs Node-RED into the peer cache unless it is there; resolves with why not, or null when ready. */
export async function ensureNodeRed(log: (text: string) => void): Promise<string | null> {
  if (existsSync(RED_JS)) return null;
  await mkdir(PEER_DIR, { recursive: true });
  await writeFile(join(PEER_DIR, 'package.json'), '{ "name": "ferry-bench-peer", "private": true }\n');
  log(`installing node-red@${NODE_RED_VERSION} into ${PEER_DIR} (once)`);
  try {
    await promisify(execFile)(
      'npm',
      ['install', `node-red@${NODE_RED_VERSION}`, '--omit=optional', '--no-audit', '--no-fund', '--no-save'],
      { cwd: PEER_DIR, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    return `npm install node-red@${NODE_RED_VERSION} failed: ${(error as Error).message.split('\n')[0]}`;
  }
  return existsSync(RED_JS) ? null : `npm installed node-red@${NODE_RED_VERSION} but ${RED_JS} is missing`;
}

/** The flow: read a page, split it, map and POST each customer, join, then the next page. */
function flow(): unknown[] {
  const tab = 'tab-ferry-bench';
  // Node ids must differ from every property value (Node-RED resolves values that equal an id as references).
  const id = (name: string) => `n-${name.replaceAll(' ', '-')}`;
  let y = 0;
  const at = () => {
    y += 60;
    return { x: 200, y };
  };
  const request = (name: string, ret: 'obj' | 'txt', next: string) => ({
    id: id(name),
    ...at(),
    type: 'http request',
    z: tab,
    name,
    method: 'use',
    ret,
    paytoqs: 'ignore',
    url: '',
    persist: true,
    authType: '',
    senderr: false,
    headers: [],
    wires: [[id(next)]],
  });
  const fn = (name: string, func: string, wires: string[][]) => ({
    id: id(name),
    ...at(),
    type: 'function',
    z: tab,
    name,
    func,
    outputs: wires.length,
    timeout: 0,
    noerr: 0,
    initialize: '',
    finalize: '',
    libs: [],
    wires: wires.map((out) => out.map(id)),
  });
  return [
    { id: tab, type: 'tab', label: 'customers to orders' },
    {
      id: id('start'),
      ...at(),
      type: 'inject',
      z: tab,
      name: 'start',
      props: [],
      repeat: '',
      once: true,
      onceDelay: 0.1,
      topic: '',
      wires: [[id('token request')]],
    },
    // OAuth 2.0 client credentials: the token request is an http request node, the token kept in flow context.
    fn(
      'token request',
      `const basic = Buffer.from(env.get('DEST_CLIENT_ID') + ':' + env.get('DEST_CLIENT_SECRET')).toString('base64');
msg.url = env.get('DEST_TOKEN_URL');
msg.method = 'POST';
msg.headers = { authorization: 'Basic ' + basic, 'content-type': 'application/x-www-form-urlencoded' };
msg.payload = 'grant_type=client_credentials';
return msg;`,
      [['token']],
    ),
    request('token', 'obj', 'keep token'),
    fn(
      'keep token',
      `flow.set('token', msg.payload.access_token);
msg.url = env.get('SOURCE_URL');
return msg;`,
      [['page request']],
    ),
    fn(
      'page request',
      `msg.method = 'GET';
msg.headers = { 'x-api-key': env.get('SOURCE_API_KEY'), accept: 'application/json' };
delete msg.payload;
return msg;`,
      [['page']],
    ),
    request('page', 'obj', 'next link'),
    fn(
      'next link',
      `const match = /<([^>]+)>;\\s*rel="next"/.exec(msg.headers.link || '');
msg.next = match ? match[1] : null;
if (!Array.isArray(msg.payload) || msg.payload.length === 0) return [null, msg];
return [msg, null];`,
      [['split'], ['next page']],
    ),
    {
      id: id('split'),
      ...at(),
      type: 'split',
      z: tab,
      name: 'split',
      splt: '\\n',
      spltType: 'str',
      arraySplt: 1,
      arraySpltType: 'len',
      stream: false,
      addname: '',
      wires: [[id('map')]],
    },
    fn(
      'map',
      `${text.toString()}
${plainMapping.toString()}
const order = plainMapping(msg.payload, ${JSON.stringify(orderDateNow())});
if (order === null) return [null, msg];
msg.url = env.get('DEST_URL');
msg.method = 'POST';
msg.headers = {
  authorization: 'Bearer ' + flow.get('token'),
  'content-type': 'application/json',
  'idempotency-key': order.orderId,
};
msg.payload = order;
return [msg, null];`,
      [['order'], ['join']],
    ),
    request('order', 'txt', 'join'),
    {
      id: id('join'),
      ...at(),
      type: 'join',
      z: tab,
      name: 'join',
      mode: 'auto',
      build: 'array',
      property: 'payload',
      propertyType: 'msg',
      key: 'topic',
      joiner: '\\n',
      joinerType: 'str',
      accumulate: false,
      timeout: '',
      count: '',
      reduceRight: false,
      wires: [[id('next page')]],
    },
    fn(
      'next page',
      `if (msg.next) {
  msg.url = msg.next;
  return [msg, null];
}
return [null, msg];`,
      [['page request'], []],
    ),
  ];
}

const SETTINGS = `module.exports = {
  flowFile: 'flows.json',
  uiHost: '127.0.0.1',
  uiPort: 0,
  httpAdminRoot: false,
  httpNodeRoot: false,
  disableEditor: true,
  telemetry: { enabled: false },
  logging: { console: { level: 'warn', metrics: false, audit: false } },
  functionExternalModules: false,
};
`;

/** What one Node-RED run measured. */
export interface NodeRedRun {
  /** From spawning Node-RED to the destination's last 201, ms. */
  launchToLastOrderMs: number;
  /** From spawning Node-RED to the source's first request, ms. */
  launchToFirstRequestMs: number | null;
  ordersStored: number;
  /** CPU time of the Node-RED process up to the last order (all threads), ms; null off Linux. */
  cpuMs: number | null;
  peakRssMb: number | null;
}

/** How the bench reads the mocks' clocks (ms since the epoch) and counts. */
export interface PeerProbe {
  ordersStored(): Promise<number>;
  lastOrderAt(): Promise<number | null>;
  firstSourceRequestAt(): Promise<number | null>;
}

async function peakRssMb(pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : null;
}

/**
 * Runs the flow against the mocks in `env` until the destination holds `expectedOrders` (or `timeoutMs`
 * passes), then stops Node-RED. The mocks' own clocks time the run, as for ferry.
 */
export async function runNodeRed(
  env: MockEnv,
  probe: PeerProbe,
  expectedOrders: number,
  timeoutMs: number,
): Promise<NodeRedRun> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-node-red-'));
  let child: ChildProcess | undefined;
  try {
    await writeFile(join(dir, 'flows.json'), JSON.stringify(flow()));
    await writeFile(join(dir, 'settings.js'), SETTINGS);
    const launchedAt = Date.now();
    child = spawn(process.execPath, [RED_JS, '--userDir', dir, '--settings', join(dir, 'settings.js')], {
      env: { ...process.env, ...env, NODE_RED_ENABLE_PROJECTS: 'false' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const exited = once(child, 'exit');
    const deadline = launchedAt + timeoutMs;
    const pid = child.pid as number;
    // Read while the flow runs as well as at its end: with its editor and HTTP nodes off nothing keeps
    // Node-RED's event loop alive once the last page is done, so it may exit (code 0) before the last
    // poll, and an exited process has no VmHWM (once reaped, no /proc entry): the last reading stands.
    let usage = { cpuMs: null as number | null, peakRssMb: null as number | null };
    const readUsage = async () => {
      const [cpuMs, rss] = await Promise.all([processCpuMs(pid), peakRssMb(pid)]);
      usage = { cpuMs: cpuMs ?? usage.cpuMs, peakRssMb: rss ?? usage.peakRssMb };
    };
    for (;;) {
      const stored = await probe.ordersStored();
      await readUsage();
      if (stored >= expectedOrders) break;
      if (child.exitCode !== null) throw new Error(`Node-RED exited early (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline)
        throw new Error(
          `Node-RED stored ${stored} of ${expectedOrders} orders in ${timeoutMs} ms: ${stderr}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stored = await probe.ordersStored();
    const [lastOrderAt, firstAt] = await Promise.all([
      probe.lastOrderAt(),
      probe.firstSourceRequestAt(),
      readUsage(),
    ]);
    child.kill('SIGTERM');
    await exited;
    return {
      launchToLastOrderMs: (lastOrderAt ?? Date.now()) - launchedAt,
      launchToFirstRequestMs: firstAt === null ? null : firstAt - launchedAt,
      ordersStored: stored,
      ...usage,
    };
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit').catch(() => {});
    }
    await rm(dir, { recursive: true, force: true });
  }
}
