import { reportedSecretState } from '../../../lambdas/diagnose/gather';

// Quick Diagnostics may not read Secrets: a referenced Secret's state is what the kubelet said
// about it, in the words of its waiting messages and FailedMount events.

describe('reportedSecretState', () => {
  it.each([
    ['an env or envFrom reference to a missing Secret', { name: 'db' }, 'secret "db" not found', 'missing'],
    [
      'a volume of a missing Secret (FailedMount)',
      { name: 'tls', volume: 'certs' },
      'MountVolume.SetUp failed for volume "certs" : secret "tls" not found',
      'missing',
    ],
    [
      'a missing key of an env reference',
      { name: 'db', key: 'password' },
      "couldn't find key password in Secret one-data-alldata/db",
      'missing-key',
    ],
    [
      'a missing item key of a Secret volume',
      { name: 'tls', key: 'tls.key', volume: 'certs' },
      'MountVolume.SetUp failed for volume "certs" : references non-existent secret key: tls.key',
      'missing-key',
    ],
  ] as const)('reads %s', (_case, ref, report, state) => {
    // Act + Assess
    expect(reportedSecretState(ref, ['Back-off pulling image', report])).toBe(state);
  });

  it.each([
    ['no report at all', { name: 'db', key: 'password' }, []],
    ['a report about another Secret', { name: 'db' }, ['secret "db-old" not found']],
    [
      'a missing key of another Secret',
      { name: 'db', key: 'password' },
      ["couldn't find key password in Secret ns/db2"],
    ],
    [
      'a missing key of another volume',
      { name: 'tls', key: 'tls.key', volume: 'certs' },
      ['MountVolume.SetUp failed for volume "other" : references non-existent secret key: tls.key'],
    ],
  ] as const)('never claims more than the kubelet said: %s is unknown', (_case, ref, reports) => {
    // Act + Assess
    expect(reportedSecretState(ref, reports)).toBe('unknown');
  });
});
