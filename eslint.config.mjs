import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'cdk.out/',
      'coverage/',
      '.data/',
      'bench/results*',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['lambdas/**/*.ts'],
    rules: {
      // `import { z }` is zod's whole namespace object: esbuild then keeps all of it, its 40-odd
      // locales included (350 KiB in every bundle); `import * as z` is tree-shaken.
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value='zod'][importKind!='type'] > ImportSpecifier[imported.name='z'][importKind!='type']",
          message: "Use `import * as z from 'zod'`.",
        },
        // esbuild escapes non-ASCII in strings but must keep a String.raw text or a regex literal as
        // written: one such character makes the whole bundle a two-byte string, slower at every cold
        // start (lib/bundling). Put the characters in a plain string, or write them as \u escapes.
        {
          selector:
            "TaggedTemplateExpression[tag.object.name='String'][tag.property.name='raw'] TemplateElement[value.raw=/[^\\u0000-\\u007f]/]",
          message: 'Non-ASCII in String.raw: interpolate a plain string holding it instead.',
        },
        {
          selector: 'Literal[regex.pattern=/[^\\u0000-\\u007f]/]',
          message: 'Non-ASCII in a regex literal: write it as a \\u escape.',
        },
      ],
    },
  },
);
