import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { BUILTIN_RULES } from './builtin-rules';
import { ruleSchema, rulesFileSchema, type Rule } from './rule-schema';

/** A rules file (or text) that is not valid: the message names the file and the bad field. */
export class RulesFileError extends Error {
  constructor(
    readonly source: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${source}: ${field ? `${field}: ` : ''}${detail}`);
    this.name = 'RulesFileError';
  }
}

function fieldOf(path: ReadonlyArray<PropertyKey>, rules: unknown): string {
  if (!path.length) return '(file)';
  // `rules[3] (id redis-down).when[0].log.class` reads better than `rules.3.when.0.log.class`.
  let out = '';
  path.forEach((part, i) => {
    if (typeof part === 'number') {
      out += `[${part}]`;
      if (i === 1 && path[0] === 'rules' && Array.isArray(rules)) {
        const id = (rules[part] as { id?: unknown } | undefined)?.id;
        if (typeof id === 'string') out += ` (id ${id})`;
      }
    } else out += `${out ? '.' : ''}${String(part)}`;
  });
  return out;
}

function firstIssue(error: z.ZodError): z.core.$ZodIssue {
  // A union reports "invalid input"; its branch that got furthest names the real problem.
  let issue = error.issues[0];
  while (issue.code === 'invalid_union' && issue.errors.length) {
    const deepest = issue.errors.flat().sort((a, b) => b.path.length - a.path.length)[0];
    if (!deepest) break;
    issue = { ...deepest, path: [...issue.path, ...deepest.path] };
  }
  return issue;
}

/** The built-in rules, validated through the same schema as users' rules. */
export function builtinRules(): Rule[] {
  return BUILTIN_RULES.map((rule) => ruleSchema.parse(rule));
}

/**
 * Parses a rules file's text (YAML or JSON, `{ rules: [...] }` or a bare list of rules).
 * Throws RulesFileError naming the bad field.
 */
export function parseRules(text: string, source = 'rules'): Rule[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new RulesFileError(source, '', `not valid YAML or JSON: ${(error as Error).message}`);
  }
  const doc = Array.isArray(raw) ? { rules: raw } : raw;
  const result = rulesFileSchema.safeParse(doc);
  if (!result.success) {
    const issue = firstIssue(result.error);
    const rules = (doc as { rules?: unknown } | null)?.rules;
    throw new RulesFileError(source, fieldOf(issue.path, rules), issue.message);
  }
  const seen = new Set<string>();
  result.data.rules.forEach((rule, i) => {
    if (seen.has(rule.id))
      throw new RulesFileError(source, `rules[${i}].id`, `duplicate rule id "${rule.id}"`);
    seen.add(rule.id);
  });
  return result.data.rules;
}

/**
 * The rules in force: the built-in ones, with the user's rules merged in. A user rule with a
 * built-in id replaces that rule where it stands (or turns it off with `disabled: true`); other
 * user rules come first, so at equal confidence the user's own rule wins.
 */
export function mergeRules(builtins: readonly Rule[], user: readonly Rule[]): Rule[] {
  const byId = new Map(user.map((r) => [r.id, r]));
  const merged = builtins.map((rule) => byId.get(rule.id) ?? rule);
  const builtinIds = new Set(builtins.map((r) => r.id));
  return [...user.filter((r) => !builtinIds.has(r.id)), ...merged];
}

/**
 * The rules for a diagnosis: built-ins plus a user rules file. `fileOrText` is a path to a
 * YAML/JSON file, or the file's text itself (what the CDK app bundles into the functions).
 * Without it, the built-in rules.
 */
export function loadRules(fileOrText?: string): Rule[] {
  const builtins = builtinRules();
  if (fileOrText === undefined || fileOrText.trim() === '') return builtins;
  const isText = /[\n{[:]/.test(fileOrText.trim()) && !existsSync(fileOrText);
  if (!isText && !existsSync(fileOrText)) {
    throw new RulesFileError(fileOrText, '', 'no such rules file');
  }
  const text = isText ? fileOrText : readFileSync(fileOrText, 'utf8');
  return mergeRules(builtins, parseRules(text, isText ? 'rules' : fileOrText));
}
