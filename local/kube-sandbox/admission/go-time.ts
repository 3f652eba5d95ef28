/**
 * Go's `time.Parse` for the two layouts Kubernetes decodes timestamps with, reduced to the
 * question the API server's decoder asks: does the value parse, and if not, what does Go's
 * error say. metav1.Time decodes with RFC 3339 (`2006-01-02T15:04:05Z07:00`: fractional
 * seconds are accepted although the layout has none), metav1.MicroTime with RFC 3339 and
 * exactly six fractional digits (`2006-01-02T15:04:05.000000Z07:00`).
 *
 * Go walks the layout element by element; each element either consumes the value or fails
 * with `cannot parse "<rest of value>" as "<element>"`, and values out of range fail with
 * `<what> out of range`. The walk below follows the same elements in the same order, on the
 * value's UTF-8 bytes as Go sees them, so the messages are the ones a real server returns.
 */

export type GoTimeLayout = 'RFC3339' | 'RFC3339Micro';

type Element = '2006' | '01' | '02' | '15' | '04' | '05' | '.000000' | 'Z07:00';

/** Each layout as Go splits it: the literal before each element, then the element. */
const LAYOUTS: Record<GoTimeLayout, { text: string; chunks: Array<[string, Element]> }> = {
  RFC3339: {
    text: '2006-01-02T15:04:05Z07:00',
    chunks: [
      ['', '2006'],
      ['-', '01'],
      ['-', '02'],
      ['T', '15'],
      [':', '04'],
      [':', '05'],
      ['', 'Z07:00'],
    ],
  },
  RFC3339Micro: {
    text: '2006-01-02T15:04:05.000000Z07:00',
    chunks: [
      ['', '2006'],
      ['-', '01'],
      ['-', '02'],
      ['T', '15'],
      [':', '04'],
      [':', '05'],
      ['', '.000000'],
      ['', 'Z07:00'],
    ],
  },
};

const isDigit = (s: string, i: number): boolean => i < s.length && s[i] >= '0' && s[i] <= '9';

/** Go's getnum: one or two digits (exactly two when `fixed`); undefined where Go fails. */
function getnum(s: string, fixed: boolean): [number, string] | undefined {
  if (!isDigit(s, 0)) return undefined;
  if (!isDigit(s, 1)) return fixed ? undefined : [Number(s[0]), s.slice(1)];
  return [Number(s.slice(0, 2)), s.slice(2)];
}

/** Go's atoi: an optional sign, then digits only (none is zero); undefined where Go fails. */
function atoi(s: string): number | undefined {
  const digits = s[0] === '-' || s[0] === '+' ? s.slice(1) : s;
  if (!/^[0-9]*$/.test(digits)) return undefined;
  const n = Number(digits || '0');
  return s[0] === '-' ? -n : n;
}

/** Go's parseNanoseconds of the first `length` bytes (a separator, then digits). */
function fraction(value: string, length: number): 'bad' | 'range' | undefined {
  if (value[0] !== '.' && value[0] !== ',') return 'bad';
  const n = atoi(value.slice(1, Math.min(length, 10)));
  if (n === undefined) return 'bad';
  return n < 0 ? 'range' : undefined;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** Go's quote for time errors: printable ASCII as is (`"` and `\` escaped), any other byte as \xNN. */
function quote(bytes: string): string {
  let out = '"';
  for (const c of bytes) {
    const code = c.charCodeAt(0);
    if (code < 0x20 || code >= 0x80) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c === '"' || c === '\\' ? `\\${c}` : c;
  }
  return `${out}"`;
}

/** Why Go's time.Parse refuses `input` in `layout`, worded as Go words it; undefined when it parses. */
export function goTimeParseError(layout: GoTimeLayout, input: string): string | undefined {
  const { text, chunks } = LAYOUTS[layout];
  // Go indexes strings by byte: work on the UTF-8 bytes, one character per byte.
  const whole = Buffer.from(input, 'utf8').toString('latin1');
  const cannotParse = (at: string, element: string): string =>
    `parsing time ${quote(whole)} as ${quote(text)}: cannot parse ${quote(at)} as ${quote(element)}`;
  const outOfRange = (what: string): string => `parsing time ${quote(whole)}: ${what} out of range`;

  let value = whole;
  let year = 0;
  let month = 1;
  let day = 1;
  for (let i = 0; i < chunks.length; i++) {
    const [literal, element] = chunks[i];
    for (const c of literal) {
      if (value[0] !== c) return cannotParse(value, literal);
      value = value.slice(1);
    }
    const hold = value;
    let bad = false;
    let range = '';
    switch (element) {
      case '2006': {
        const n = value.length >= 4 && isDigit(value, 0) ? atoi(value.slice(0, 4)) : undefined;
        if (n === undefined) bad = true;
        else [year, value] = [n, value.slice(4)];
        break;
      }
      case '01':
      case '02':
      case '15':
      case '04':
      case '05': {
        const got = getnum(value, element !== '15');
        if (!got) {
          bad = true;
          break;
        }
        const [n, rest] = got;
        value = rest;
        if (element === '01') [month, range] = [n, n <= 0 || n > 12 ? 'month' : ''];
        if (element === '02') day = n;
        if (element === '15' && n >= 24) range = 'hour';
        if (element === '04' && n >= 60) range = 'minute';
        if (element === '05') {
          if (n >= 60) range = 'second';
          // Fractional seconds the layout does not name are taken here, as Go does.
          else if (chunks[i + 1]?.[1] !== '.000000' && /^[.,][0-9]/.test(value)) {
            const digits = /^[.,][0-9]+/.exec(value)![0].length;
            value = value.slice(digits);
          }
        }
        break;
      }
      case '.000000':
        if (value.length < 7) bad = true;
        else {
          const problem = fraction(value, 7);
          value = value.slice(7);
          if (problem === 'bad') bad = true;
          if (problem === 'range') range = 'fractional second';
        }
        break;
      case 'Z07:00': {
        if (value[0] === 'Z') {
          value = value.slice(1);
          break;
        }
        if (value.length < 6 || value[3] !== ':') {
          bad = true;
          break;
        }
        const [sign, hh, mm] = [value[0], value.slice(1, 3), value.slice(4, 6)];
        value = value.slice(6);
        const hours = getnum(hh, true);
        const minutes = hours ? getnum(mm, true) : undefined;
        if (!hours || !minutes) bad = true;
        // Go checks the ranges of what did parse before it reports what did not.
        if (hours && hours[0] > 24) range = 'time zone offset hour';
        if (minutes && minutes[0] > 60) range = 'time zone offset minute';
        if (sign !== '+' && sign !== '-') bad = true;
        break;
      }
    }
    if (range) return outOfRange(range);
    if (bad) return cannotParse(hold, element);
  }
  if (value.length > 0) return `parsing time ${quote(whole)}: extra text: ${quote(value)}`;
  if (day < 1 || day > daysIn(month, year)) return outOfRange('day');
  return undefined;
}
