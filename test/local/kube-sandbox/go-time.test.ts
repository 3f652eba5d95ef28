import { goTimeParseError } from '../../../local/kube-sandbox/admission/go-time';

// Go's time.Parse as the API server's decoder runs it for metav1.Time (RFC 3339) and
// metav1.MicroTime (six fractional digits). Expected messages are Go's: checked against
// Debian's Go 1.19 where it agrees with the Go of Kubernetes 1.32, whose parser reports the
// value an element started at and range-checks zone offsets (the rows marked newer Go).
const RFC3339 = '"2006-01-02T15:04:05Z07:00"';
const MICRO = '"2006-01-02T15:04:05.000000Z07:00"';

describe("Go's time.Parse errors for Kubernetes timestamps", () => {
  it.each([
    ['2026-03-01T12:00:00Z'],
    ['2026-03-01T12:00:00.123Z'],
    ['2026-03-01T12:00:00,5+02:00'],
    ['2024-02-29T23:59:59-08:00'],
    ['2026-03-01T1:00:00Z'],
  ])('RFC 3339 parses %s', (value) => {
    expect(goTimeParseError('RFC3339', value)).toBeUndefined();
  });

  it.each([
    ['2026-03-01', `parsing time "2026-03-01" as ${RFC3339}: cannot parse "" as "T"`],
    [
      '2026-03-01 12:00:00Z',
      `parsing time "2026-03-01 12:00:00Z" as ${RFC3339}: cannot parse " 12:00:00Z" as "T"`,
    ],
    ['2026-03-01T12:00:00', `parsing time "2026-03-01T12:00:00" as ${RFC3339}: cannot parse "" as "Z07:00"`],
    [
      '2026-3-01T12:00:00Z',
      `parsing time "2026-3-01T12:00:00Z" as ${RFC3339}: cannot parse "3-01T12:00:00Z" as "01"`,
    ],
    ['yesterday', `parsing time "yesterday" as ${RFC3339}: cannot parse "yesterday" as "2006"`],
    ['2026-13-01T12:00:00Z', 'parsing time "2026-13-01T12:00:00Z": month out of range'],
    ['2026-02-29T12:00:00Z', 'parsing time "2026-02-29T12:00:00Z": day out of range'],
    ['2026-03-01T24:00:00Z', 'parsing time "2026-03-01T24:00:00Z": hour out of range'],
    ['2026-03-01T12:00:60Z', 'parsing time "2026-03-01T12:00:60Z": second out of range'],
    ['2026-03-01T12:00:00ZZ', 'parsing time "2026-03-01T12:00:00ZZ": extra text: "Z"'],
    ['2026-03-01T12:00:00Zé', 'parsing time "2026-03-01T12:00:00Z\\xc3\\xa9": extra text: "\\xc3\\xa9"'],
    ['"x\\', `parsing time "\\"x\\\\" as ${RFC3339}: cannot parse "\\"x\\\\" as "2006"`],
    // newer Go
    [
      '20a6-03-01T12:00:00Z',
      `parsing time "20a6-03-01T12:00:00Z" as ${RFC3339}: cannot parse "20a6-03-01T12:00:00Z" as "2006"`,
    ],
    [
      '2026-03-01T12:00:00+25:00',
      'parsing time "2026-03-01T12:00:00+25:00": time zone offset hour out of range',
    ],
    [
      '2026-03-01T12:00:00*02:00',
      `parsing time "2026-03-01T12:00:00*02:00" as ${RFC3339}: cannot parse "*02:00" as "Z07:00"`,
    ],
  ])('RFC 3339 refuses %s', (value, message) => {
    expect(goTimeParseError('RFC3339', value)).toBe(message);
  });

  it('MicroTime takes exactly six fractional digits', () => {
    expect(goTimeParseError('RFC3339Micro', '2026-03-01T12:00:00.123456Z')).toBeUndefined();
    expect(goTimeParseError('RFC3339Micro', '2026-03-01T12:00:00.123456+01:00')).toBeUndefined();
    expect(goTimeParseError('RFC3339Micro', '2026-03-01T12:00:00.123Z')).toBe(
      `parsing time "2026-03-01T12:00:00.123Z" as ${MICRO}: cannot parse ".123Z" as ".000000"`,
    );
    expect(goTimeParseError('RFC3339Micro', '2026-03-01T12:00:00Z')).toBe(
      `parsing time "2026-03-01T12:00:00Z" as ${MICRO}: cannot parse "Z" as ".000000"`,
    );
    expect(goTimeParseError('RFC3339Micro', '2026-03-01T12:00:00.1234567Z')).toBe(
      `parsing time "2026-03-01T12:00:00.1234567Z" as ${MICRO}: cannot parse "7Z" as "Z07:00"`,
    );
    expect(goTimeParseError('RFC3339Micro', '2026-03-01T12:00:00.-12345Z')).toBe(
      'parsing time "2026-03-01T12:00:00.-12345Z": fractional second out of range',
    );
  });
});
