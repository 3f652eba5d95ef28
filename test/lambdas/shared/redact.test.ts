import {
  REDACTED,
  RedactedText,
  isCredentialName,
  redactObject,
  redactText,
} from '../../../lambdas/shared/redact';
import { NEGATIVES, SECRET_CASES } from '../../fixtures/secret-corpus';

describe('redactText', () => {
  // Samples are shaped like the real thing (AWS documentation example keys, jwt.io's sample
  // token, Slack's documented webhook format) so the patterns are tested on what they meet.
  const cases: Array<[string, string, string]> = [
    [
      'an AWS access key id',
      'using credentials AKIAIOSFODNN7EXAMPLE from env',
      `using credentials ${REDACTED} from env`,
    ],
    [
      'a temporary AWS access key id',
      'sts: ASIAY34FZKBOKMUTVV7A expires soon',
      `sts: ${REDACTED} expires soon`,
    ],
    [
      'an AWS secret key assignment',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      `aws_secret_access_key = ${REDACTED}`,
    ],
    [
      'a bearer token in a request log',
      'GET /api/v1/health Authorization: Bearer 8f2b1c9d0e7a4b3c2d1e0f9a8b7c6d5e',
      `GET /api/v1/health Authorization: Bearer ${REDACTED}`,
    ],
    [
      'a JWT',
      'token rejected: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c (expired)',
      `token rejected: ${REDACTED} (expired)`,
    ],
    [
      'password= in a JDBC URL',
      'jdbc:mysql://mysql.one-data-infra:3306/alldata?user=alldata&password=Zx9!kq2Lr&useSSL=false',
      `jdbc:mysql://mysql.one-data-infra:3306/alldata?user=alldata&password=${REDACTED}&useSSL=false`,
    ],
    [
      'a MySQL URL with userinfo',
      'sqlalchemy.url = mysql+pymysql://alldata:Zx9kq2Lr@mysql.one-data-infra.svc:3306/alldata',
      `sqlalchemy.url = mysql+pymysql://alldata:${REDACTED}@mysql.one-data-infra.svc:3306/alldata`,
    ],
    [
      'a Redis URL with only a password',
      'connecting to redis://:r3d1sPass@redis-master.one-data-infra:6379/0',
      `connecting to redis://:${REDACTED}@redis-master.one-data-infra:6379/0`,
    ],
    [
      'a Go MySQL DSN under a credential name',
      'dsn=app:hunter22@tcp(mysql:3306)/shop?parseTime=true',
      `dsn=app:${REDACTED}@tcp(mysql:3306)/shop?parseTime=true`,
    ],
    [
      'a Go MySQL DSN under a harmless name',
      'connecting with app:hunter22@tcp(mysql:3306)/shop',
      `connecting with app:${REDACTED}@tcp(mysql:3306)/shop`,
    ],
    [
      'a Slack webhook URL',
      'posting to https://hooks.slack.com/services/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 failed',
      `posting to ${REDACTED} failed`,
    ],
    [
      'a JSON field with a credential name',
      '{"level":"info","msg":"config loaded","openai_api_key":"sk-proj-Abc123Def456Ghi789Jkl012Mno345"}',
      `{"level":"info","msg":"config loaded","openai_api_key":"${REDACTED}"}`,
    ],
    ['an env dump line', 'DB_PASSWORD=Pr0d-Secr3t!', `DB_PASSWORD=${REDACTED}`],
    [
      'a credential assignment inside another value',
      'INFO  config: DB_PASSWORD=Pr0d-Secr3t! pool=20',
      `INFO  config: DB_PASSWORD=${REDACTED} pool=20`,
    ],
    [
      'a credential assignment inside a JSON string',
      '{"msg":"DB_PASSWORD=Pr0d-Secr3t! loaded"}',
      `{"msg":"DB_PASSWORD=${REDACTED} loaded"}`,
    ],
    [
      'a YAML-ish secret key',
      'client_secret: 9f86d081884c7d659a2feaa0c55ad015',
      `client_secret: ${REDACTED}`,
    ],
    [
      'container env serialized into a log line',
      'spec: {"name":"DB_PASSWORD","value":"Pr0d-Secr3t!"},{"name":"LOG_LEVEL","value":"info"}',
      `spec: {"name":"DB_PASSWORD","value":"${REDACTED}"},{"name":"LOG_LEVEL","value":"info"}`,
    ],
    ['a GitHub token', 'cloning with ghp_16C7e42F292c6912E7710c838347Ae178B4a', `cloning with ${REDACTED}`],
  ];

  it.each(cases)('redacts %s', (_name, input, expected) => {
    // Act
    const output = redactText(input);

    // Assess
    expect(output).toBe(expected);
  });

  it('redacts a PEM private key block spanning lines', () => {
    // Prepare
    const log = [
      'loading key',
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
      'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK',
      '-----END RSA PRIVATE KEY-----',
      'key loaded',
    ].join('\n');

    // Act
    const output = redactText(log);

    // Assess
    expect(output).toBe(`loading key\n${REDACTED}\nkey loaded`);
  });

  it('redacts an unterminated PEM block to the end of the text', () => {
    // Act
    const output = redactText('cert:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC');

    // Assess
    expect(output).toBe(`cert:\n${REDACTED}`);
  });

  const kept: Array<[string, string]> = [
    [
      'the runbook MySQL error',
      `sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2003, "Can't connect to MySQL server on 'mysql' ([Errno 111] Connection refused)")`,
    ],
    ['MySQL access denied', "(1045, \"Access denied for user 'alldata'@'10.0.3.7' (using password: YES)\")"],
    [
      'a URL without userinfo',
      'GET http://alldata-api.one-data-alldata.svc.cluster.local:8080/api/v1/health 200',
    ],
    ['a Kubernetes secret reference', 'secretKeyRef: alldata-db-credentials'],
    ['an empty password', 'password=""'],
    ['a plain sentence about tokens', 'Token validation failed; Basic authentication required'],
    ['an ISO timestamp', '2026-01-01T00:00:00.000Z INFO started in 3.2s'],
  ];

  it.each(kept)('keeps %s', (_name, input) => {
    // Act
    const output = redactText(input);

    // Assess
    expect(output).toBe(input);
  });
});

describe('isCredentialName', () => {
  it.each([
    'DB_PASSWORD',
    'MYSQL_ROOT_PASSWORD',
    'OPENAI_API_KEY',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'SENTRY_DSN',
    'DATABASE_URL',
    'GOOGLE_APPLICATION_CREDENTIALS_JSON',
    'slackWebhookUrl',
    'clientSecret',
    'ENCRYPTION_KEY',
    'REDIS_PASS',
  ])('treats %s as a credential', (name) => {
    expect(isCredentialName(name)).toBe(true);
  });

  it.each([
    'key',
    'LOG_LEVEL',
    'MILVUS_HOST',
    'secretName',
    'PASSWORD_FILE',
    'secretKeyRef',
    'sha256',
    'contentType',
  ])('does not treat %s as a credential', (name) => {
    expect(isCredentialName(name)).toBe(false);
  });
});

describe('redactObject', () => {
  it('keeps a Secret name and key names but never its data', () => {
    // Prepare: a Secret as the API returns it, applied with kubectl apply.
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: 'alldata-db-credentials',
        namespace: 'one-data-alldata',
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration':
            '{"apiVersion":"v1","data":{"password":"WnhrcTJMcg=="},"kind":"Secret","metadata":{"name":"alldata-db-credentials"}}',
        },
      },
      data: { username: 'YWxsZGF0YQ==', password: 'WnhrcTJMcg==' },
      stringData: { note: 'rotated' },
    };

    // Act
    const output = redactObject(secret);

    // Assess
    expect(output.data).toEqual({ username: REDACTED, password: REDACTED });
    expect(output.stringData).toEqual({ note: REDACTED });
    expect(output.metadata.name).toBe('alldata-db-credentials');
    expect(JSON.stringify(output)).not.toContain('WnhrcTJMcg==');
    expect(JSON.stringify(output)).not.toContain('YWxsZGF0YQ==');
  });

  it('redacts Secret items of a list, which carry no kind', () => {
    // Prepare
    const list = {
      kind: 'SecretList',
      items: [
        { metadata: { name: 'tls' }, type: 'kubernetes.io/tls', data: { 'tls.key': 'LS0tLS1CRUdJTg==' } },
      ],
    };

    // Act
    const output = redactObject(list);

    // Assess
    expect(output.items[0].data).toEqual({ 'tls.key': REDACTED });
  });

  it('redacts credential env values of a pod spec, in place and in last-applied-configuration', () => {
    // Prepare
    const deployment = {
      metadata: {
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
            spec: {
              template: { spec: { containers: [{ env: [{ name: 'DB_PASSWORD', value: 'Zx9kq2Lr' }] }] } },
            },
          }),
        },
      },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'api',
                env: [
                  { name: 'DB_PASSWORD', value: 'Zx9kq2Lr' },
                  { name: 'DATABASE_URL', value: 'mysql://alldata:Zx9kq2Lr@mysql:3306/alldata' },
                  { name: 'MILVUS_HOST', value: 'milvus-proxy' },
                  { name: 'DB_USER', valueFrom: { secretKeyRef: { name: 'db', key: 'user' } } },
                ],
              },
            ],
          },
        },
      },
    };

    // Act
    const output = redactObject(deployment);

    // Assess
    expect(output.spec.template.spec.containers[0].env).toEqual([
      { name: 'DB_PASSWORD', value: REDACTED },
      { name: 'DATABASE_URL', value: REDACTED },
      { name: 'MILVUS_HOST', value: 'milvus-proxy' },
      { name: 'DB_USER', valueFrom: { secretKeyRef: { name: 'db', key: 'user' } } },
    ]);
    expect(JSON.stringify(output)).not.toContain('Zx9kq2Lr');
  });

  it('scans env values with harmless names for credential-looking values', () => {
    // Act
    const output = redactObject([
      { name: 'MILVUS_URI', value: 'http://root:Milvus@milvus-proxy:19530' },
      { name: 'MILVUS_HOST', value: 'milvus-proxy.one-data-infra' },
    ]);

    // Assess
    expect(output).toEqual([
      { name: 'MILVUS_URI', value: `http://root:${REDACTED}@milvus-proxy:19530` },
      { name: 'MILVUS_HOST', value: 'milvus-proxy.one-data-infra' },
    ]);
  });

  it('redacts credential-named fields of ConfigMap data and leaves the rest', () => {
    // Prepare
    const configMap = { kind: 'ConfigMap', data: { REDIS_PASSWORD: 'r3d1s', REDIS_HOST: 'redis-master' } };

    // Act
    const output = redactObject(configMap);

    // Assess
    expect(output.data).toEqual({ REDIS_PASSWORD: REDACTED, REDIS_HOST: 'redis-master' });
  });
});

describe('redactText on JSON documents', () => {
  it('keeps the document valid JSON', () => {
    // Prepare: a pod spec fragment as the cluster dump serializes it.
    const json = JSON.stringify({
      automountServiceAccountToken: false,
      projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }] },
      tokenTtl: 3600,
      env: [{ name: 'API_TOKEN', value: 'tok_8Hq2vX9' }],
      password: 'hunter2',
    });

    // Act
    const output = redactText(json);

    // Assess
    expect(JSON.parse(output)).toEqual({
      automountServiceAccountToken: false,
      projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }] },
      tokenTtl: REDACTED,
      env: [{ name: 'API_TOKEN', value: REDACTED }],
      password: REDACTED,
    });
  });
});

describe('redaction of what the cluster dump writes', () => {
  it('finds vendor tokens wherever they sit in the text, after short token-like runs too', () => {
    // Prepare: each vendor-token line of the corpus alone, after short runs, after a long run, and in JSON.
    const tokens = SECRET_CASES.filter((c) => c.category === 'vendor tokens');

    // Act
    const outputs = tokens.flatMap((c) => [
      redactText(c.line),
      redactText(`abc-12 9f.x= ${c.line}`),
      redactText(`${'a1.'.repeat(40)} ${c.line}`),
      redactText(`,\n${JSON.stringify({ metadata: { name: 'api' }, message: c.line })}`),
    ]);

    // Assess
    expect(tokens.length).toBeGreaterThan(10);
    tokens.forEach((c, i) => {
      for (const output of outputs.slice(i * 4, i * 4 + 4)) expect(output).not.toContain(c.secret);
    });
  });

  it('redacts a value the same way every time it meets it, in an object or in its JSON line', () => {
    // Prepare: the same strings in thousands of pods, as a ReplicaSet's pods hold them.
    const pod = (i: number) => ({
      metadata: { name: `api-${i}`, annotations: { note: 'DB_PASSWORD=Pr0d-Secr3t!' } },
      spec: {
        containers: [
          { args: ['--db-password', 'Pr0d-Secr3t!'], env: [{ name: 'TOKEN', value: 'x9Y8z7W6v5U4t3S2' }] },
        ],
      },
    });
    const first = JSON.stringify(redactObject(pod(0)));

    // Act
    const later = Array.from({ length: 5000 }, (_, i) => JSON.stringify(redactObject(pod(i))));
    const line = redactText(`,\n${later[4999]}`);

    // Assess
    expect(later[0]).toBe(first);
    expect(later[4999]).toBe(first.replace('api-0', 'api-4999'));
    expect(line).toBe(`,\n${later[4999]}`);
    expect(first).not.toContain('Pr0d-Secr3t!');
    expect(first).not.toContain('x9Y8z7W6v5U4t3S2');
  });

  it('redacts an object as a JSON line once, as the store would redact the raw line, and leaks nothing', () => {
    // Prepare: every corpus line and every harmless line where a dumped object holds text.
    const placements = (line: string) => [
      { metadata: { name: 'api', annotations: { note: line } } },
      { spec: { containers: [{ args: line.split(' '), env: [{ name: 'SETTING', value: line }] }] } },
      { message: line, reason: 'Failed' },
      { data: { 'app.env': line } },
    ];
    const secrets = SECRET_CASES.flatMap((c) => placements(c.line).map((object) => ({ c, object })));
    const harmless = NEGATIVES.flatMap(placements);

    // Act
    const lines = secrets.map(({ object }) => RedactedText.jsonLine(object).text);
    const kept = harmless.map((object) => RedactedText.jsonLine(object).text);

    // Assess: the store writes a RedactedText as it is, so it must be what the store would have
    // made of the unredacted line (redactText), with no secret in it and harmless text intact.
    expect(secrets.length).toBeGreaterThan(300);
    secrets.forEach(({ c, object }, i) => {
      expect(lines[i]).toBe(redactText(JSON.stringify(object)));
      expect(lines[i]).not.toContain(c.secret);
    });
    harmless.forEach((object, i) => expect(kept[i]).toBe(JSON.stringify(object)));
  });
});
