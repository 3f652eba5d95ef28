import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Manifest } from '../../../../lambdas/shared/evidence/evidence-store';
import { S3EvidenceStore } from '../../../../lambdas/shared/evidence/s3-evidence-store';
import { startLocalAws, type LocalAws } from '../../../support/aws';

let aws: LocalAws;
let store: S3EvidenceStore;
const prefix = 'incidents/2026/01/01/20260101-000000-shop-api-abc123/';

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

beforeEach(() => {
  aws.server.reset();
  store = new S3EvidenceStore(aws.s3, aws.bucket, { now: () => new Date('2026-01-01T00:10:00Z') });
});

async function read(key: string) {
  const response = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: key }));
  const body = Buffer.from(await response.Body!.transformToByteArray());
  return { body, contentType: response.ContentType, contentEncoding: response.ContentEncoding };
}

const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');

describe('S3EvidenceStore', () => {
  it('writes redacted JSON and reports the size and SHA-256 of what was stored', async () => {
    // Prepare
    const document = {
      pod: 'api-7d9f',
      env: [{ name: 'DB_PASSWORD', value: 'hunter2-prod' }],
      url: 'mysql://app:s3cr3t@mysql.db:3306/shop',
    };

    // Act
    const written = await store.putJson(`${prefix}diagnostics.json`, document);

    // Assess
    const stored = await read(written.key);
    const text = stored.body.toString();
    expect(text).not.toContain('hunter2-prod');
    expect(text).not.toContain('s3cr3t');
    expect(JSON.parse(text)).toEqual({
      pod: 'api-7d9f',
      env: [{ name: 'DB_PASSWORD', value: '[REDACTED]' }],
      url: 'mysql://app:[REDACTED]@mysql.db:3306/shop',
    });
    expect(written).toEqual({
      key: `${prefix}diagnostics.json`,
      size: stored.body.length,
      sha256: sha256(stored.body),
      contentType: 'application/json',
    });
    expect(stored.contentType).toBe('application/json');
  });

  it('streams records into one gzip object, redacting each record', async () => {
    // Prepare: random text compresses poorly, so the gzip output spans two 5 MiB parts.
    const store5 = new S3EvidenceStore(aws.s3, aws.bucket, { partSize: 5 * 1024 * 1024 });
    const count = 7_000;
    const noise = randomBytes(768 * count).toString('base64');
    async function* records() {
      for (let i = 0; i < count; i++)
        yield `${i} ${noise.slice(i * 1024, (i + 1) * 1024)} token=abcdef0123456789\n`;
    }

    // Act
    const written = await store5.putStream(`${prefix}cluster-dump/logs.txt.gz`, records(), 'text/plain');

    // Assess
    const stored = await read(written.key);
    expect(written.size).toBeGreaterThan(5 * 1024 * 1024);
    expect(written.size).toBe(stored.body.length);
    expect(written.sha256).toBe(sha256(stored.body));
    expect(written.contentEncoding).toBe('gzip');
    expect(stored.contentEncoding).toBe('gzip');
    const lines = gunzipSync(stored.body).toString().split('\n');
    expect(lines).toHaveLength(count + 1);
    expect(lines[0]).toBe(`0 ${noise.slice(0, 1024)} token=[REDACTED]`);
    expect(lines.join('\n')).not.toContain('abcdef0123456789');
  });

  it('returns undefined for a JSON document that does not exist', async () => {
    // Act
    const missing = await store.getJson(`${prefix}nothing.json`);

    // Assess
    expect(missing).toBeUndefined();
  });

  it('lists every object under the prefix in the manifest, hashing those it did not write', async () => {
    // Prepare: one object written through the store, one written by someone else.
    const diagnostics = await store.putJson(`${prefix}diagnostics.json`, { ok: true });
    const foreign = Buffer.from('written by an earlier invocation\n');
    await aws.s3.send(
      new PutObjectCommand({
        Bucket: aws.bucket,
        Key: `${prefix}logs/api/app.log`,
        Body: foreign,
        ContentType: 'text/plain',
      }),
    );
    await store.putText(`incidents/2026/01/01/another-incident/report.md`, '# other');

    // Act
    const manifestObject = await store.updateManifest(prefix, [diagnostics]);

    // Assess
    const manifest = (await store.getJson<Manifest>(manifestObject.key))!;
    expect(manifestObject.key).toBe(`${prefix}manifest.json`);
    expect(manifest).toEqual({
      prefix,
      updatedAt: '2026-01-01T00:10:00.000Z',
      objects: [
        diagnostics,
        {
          key: `${prefix}logs/api/app.log`,
          size: foreign.length,
          sha256: sha256(foreign),
          contentType: 'text/plain',
        },
      ],
    });
  });

  it('keeps earlier manifest entries and adds new ones on rewrite', async () => {
    // Prepare
    const events = await store.putJson(`${prefix}events.json`, { items: [] });
    await store.updateManifest(prefix, [events]);
    const report = await store.putText(`${prefix}report.md`, '# Report', 'text/markdown; charset=utf-8');

    // Act
    await store.updateManifest(prefix, [report]);

    // Assess
    const manifest = (await store.getJson<Manifest>(`${prefix}manifest.json`))!;
    expect(manifest.objects).toEqual([events, report]);
  });

  it('lists the keys under a prefix, and none under a prefix nothing was written to', async () => {
    // Prepare
    await store.putJson(`${prefix}alerts/b-resolved.json`, {});
    await store.putJson(`${prefix}alerts/a-resolved.json`, {});
    await store.putJson(`${prefix}events.json`, {});

    // Act
    const alerts = await store.keys(`${prefix}alerts/`);
    const none = await store.keys(`${prefix}nothing/`);

    // Assess
    expect(alerts).toEqual([`${prefix}alerts/a-resolved.json`, `${prefix}alerts/b-resolved.json`]);
    expect(none).toEqual([]);
  });
});
