import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Runs `ip …` and resolves to its stdout; rejects with its stderr. */
async function ip(...args: string[]): Promise<string> {
  try {
    return (await exec('ip', args, { timeout: 10_000 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${(e.stderr || e.message).trim()}`, { cause: err });
  }
}

/** One "host": a network namespace joined to the root namespace by a veth pair in a /30. */
export interface NetHost {
  /** The namespace's name (`ip netns exec <name> …`). */
  readonly name: string;
  /** The root namespace's end of the pair: what the host reaches the stores and apps through. */
  readonly gateway: string;
  /** The namespace's own address. */
  readonly address: string;
}

/** Host names every namespace resolves to its own gateway (`/etc/netns/<name>/hosts`). */
export const GATEWAY_NAME = 'rq-gateway.test';

/**
 * Why network namespaces cannot be made here, or null: not root, no `ip`, or the kernel or a
 * container forbids `ip netns add` / veth pairs (probed with a namespace made and removed).
 */
export async function namespacesUnavailable(): Promise<string | null> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (ip netns add)';
  const probe = `rqprobe${randomBytes(3).toString('hex')}`;
  try {
    await ip('netns', 'add', probe);
    try {
      await ip('link', 'add', `${probe}a`, 'type', 'veth', 'peer', 'name', `${probe}b`, 'netns', probe);
    } finally {
      await ip('netns', 'del', probe).catch(() => {});
    }
    return null;
  } catch (err) {
    return `this machine forbids network namespaces: ${(err as Error).message}`;
  } finally {
    await rm(`/etc/netns/${probe}`, { recursive: true, force: true });
  }
}

/** A third octet of 10.231.x.0 that no interface uses yet. */
async function freeSubnet(): Promise<number> {
  const used = await ip('-4', '-o', 'addr', 'show');
  for (let attempt = 0; attempt < 50; attempt++) {
    const x = 1 + Math.floor(Math.random() * 250);
    if (!used.includes(`10.231.${x}.`)) return x;
  }
  throw new Error('no free 10.231.x.0/24 for the test namespaces');
}

/** The names `createHosts` gives (`rq<tag>n<N>`); the probe's are `rqprobe<hex>`. */
const OURS = /^rq(?:[0-9a-f]{4}n\d+|probe[0-9a-f]{6})$/;
/** Left by a run that was killed before its cleanup if older than this (a run takes minutes). */
const STALE_MS = 30 * 60_000;

/** Removes namespaces of ours that a killed run left behind (their veth pairs go with them). */
async function removeStale(): Promise<void> {
  const names = await readdir('/run/netns').catch(() => [] as string[]);
  for (const name of names.filter((n) => OURS.test(n))) {
    const info = await stat(`/run/netns/${name}`).catch(() => null);
    if (!info || Date.now() - info.mtimeMs < STALE_MS) continue;
    await ip('netns', 'del', name).catch(() => {});
    await rm(`/etc/netns/${name}`, { recursive: true, force: true });
  }
}

/** Hosts made by `createHosts`, removed (namespaces, links, hosts files) by `remove`. */
export interface NetHosts {
  readonly hosts: NetHost[];
  remove(): Promise<void>;
}

/**
 * Makes `count` namespaces, each with a veth pair in its own /30 of 10.231.x.0/24 (the
 * root end `.4n+1`, the namespace end `.4n+2`), both ends and the namespace's `lo` up, and a
 * hosts file naming the root end `GATEWAY_NAME`. On any failure what was made is removed;
 * namespaces that a killed run left behind (over 30 minutes old) are removed first.
 */
export async function createHosts(count: number): Promise<NetHosts> {
  await removeStale();
  const tag = randomBytes(2).toString('hex');
  const x = await freeSubnet();
  const hosts: NetHost[] = [];
  const made: string[] = [];
  const remove = async () => {
    for (const name of made.reverse()) {
      // Deleting the namespace deletes its end of the pair, and with it the root end.
      await ip('netns', 'del', name).catch(() => {});
      await ip('link', 'del', `${name}h`).catch(() => {});
      await rm(`/etc/netns/${name}`, { recursive: true, force: true });
    }
    made.length = 0;
  };
  try {
    for (let n = 0; n < count; n++) {
      const name = `rq${tag}n${n + 1}`;
      const gateway = `10.231.${x}.${4 * n + 1}`;
      const address = `10.231.${x}.${4 * n + 2}`;
      await ip('netns', 'add', name);
      made.push(name);
      await mkdir(`/etc/netns/${name}`, { recursive: true });
      await writeFile(`/etc/netns/${name}/hosts`, `127.0.0.1 localhost\n${gateway} ${GATEWAY_NAME}\n`);
      await ip('link', 'add', `${name}h`, 'type', 'veth', 'peer', 'name', `${name}g`, 'netns', name);
      await ip('addr', 'add', `${gateway}/30`, 'dev', `${name}h`);
      await ip('link', 'set', `${name}h`, 'up');
      await ip('-n', name, 'addr', 'add', `${address}/30`, 'dev', `${name}g`);
      await ip('-n', name, 'link', 'set', `${name}g`, 'up');
      await ip('-n', name, 'link', 'set', 'lo', 'up');
      hosts.push({ name, gateway, address });
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { hosts, remove };
}
