import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's prometheus-alertmanager package installs the binary. */
export const ALERTMANAGER_BINARY = '/usr/bin/prometheus-alertmanager';

export interface DemoAlertmanager {
  url: string;
  /** Puts alerts in it, as Prometheus would (`POST /api/v2/alerts`). */
  fire(
    alerts: Array<{ labels: Record<string, string>; annotations?: Record<string, string> }>,
  ): Promise<void>;
  /** The silences it holds, with their state (`active`, `expired`) and who made them. */
  silences(): Promise<Array<{ id: string; createdBy: string; status: { state: string } }>>;
  stop(): Promise<void>;
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * The demo's Alertmanager, when Debian's is installed: a plain process with clustering off and a
 * receiver that sends nothing (the demo plays the webhook itself), so the incidents' silences can
 * be seen being made and expired. Undefined when the binary is not there.
 */
export async function startDemoAlertmanager(
  binary = ALERTMANAGER_BINARY,
): Promise<DemoAlertmanager | undefined> {
  if (!existsSync(binary)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'eks-incident-demo-alertmanager-'));
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(config, 'route:\n  receiver: demo\nreceivers:\n  - name: demo\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${config}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=error',
    ],
    { stdio: 'ignore' },
  );
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    async fire(alerts) {
      const response = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (!response.ok) throw new Error(`Alertmanager refused the demo alerts: HTTP ${response.status}`);
    },
    async silences() {
      return (await (await fetch(`${url}/api/v2/silences`)).json()) as Awaited<
        ReturnType<DemoAlertmanager['silences']>
      >;
    },
    stop,
  };
}
