import { readFile } from 'node:fs/promises';
import type { TokenIdentity } from '../kube-sandbox/authorization/access-control';
import { CliError } from './cli-error';

/**
 * Reads a static token file in kube-apiserver's `--token-auth-file` format: one
 * `token,user,uid[,"group1,group2"]` per line (blank lines and `#` comments skipped).
 */
export async function readTokenAuthFile(file: string): Promise<Record<string, TokenIdentity>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read the token file ${file}: ${(error as Error).message}`);
  }
  const tokens: Record<string, TokenIdentity> = {};
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = csvFields(line);
    if (fields.length < 3 || !fields[0] || !fields[1]) {
      throw new CliError(`${file}:${index + 1}: expected token,user,uid[,"group1,group2"]`);
    }
    const groups = (fields[3] ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean);
    tokens[fields[0]] = { user: fields[1], groups };
  });
  return tokens;
}

/** One CSV record: fields split on commas outside double quotes. */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      fields.push(current.trim());
      current = '';
    } else current += ch;
  }
  fields.push(current.trim());
  return fields;
}
