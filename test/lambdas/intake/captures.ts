import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export type Capture = Record<string, unknown> & {
  groupKey: string;
  alerts: Array<
    Record<string, unknown> & { fingerprint: string; status: string; labels: Record<string, string> }
  >;
};

/** A webhook body Alertmanager 0.25.0 sent (test/fixtures/alertmanager/README.md). */
export function capture(name: 'crashloop-firing' | 'crashloop-one-resolved' | 'crashloop-resolved'): Capture {
  return JSON.parse(
    readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'alertmanager', `${name}.json`), 'utf8'),
  ) as Capture;
}
