import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layering (docs/architecture.md): libs never import services; a service imports libs and no
// other service (services/stages.ts gathers the stages, and the CLI runs them through it); from
// outside a lib, imports go through its index.ts. Paths are relative, so each depth has its rule.
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const noServices = {
  regex: '(^|/)services(/|$)',
  message: 'libs never import services: move the code into a lib',
};
// A lib's testing.ts (fixtures for tests, e.g. a tiny real PNG) is the one file reached directly.
const deepLib = (up) => ({
  regex: `^${up}libs/[^/]+/(?!testing$).+`,
  message: "import a lib through its index.ts ('libs/x'), not one of its files",
});
const otherLib = {
  regex: '^\\.\\./[^./][^/]*/.+',
  message: "import another lib through its index.ts ('../x')",
};
const otherService = (up, allowed) => ({
  regex: `^${up}(?!\\.\\./|libs/${allowed})[^/]+`,
  message: 'services never import each other: move what they share into a lib',
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'deploy/local/.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  { files: ['libs/**/*.ts'], rules: restrict(noServices, otherLib) },
  // The console's wire types are compiled with its page too (no Node there): they import other libs'
  // types.ts, which import nothing, rather than their index.ts, which brings the whole pipeline.
  {
    files: ['libs/console/wire.ts'],
    rules: restrict(noServices, { ...otherLib, regex: '^\\.\\./[^./][^/]*/(?!types$).+' }),
  },
  { files: ['services/*.ts'], rules: restrict(deepLib('\\.\\./')) },
  { files: ['services/*/*.ts'], rules: restrict(deepLib('\\.\\./\\.\\./'), otherService('\\.\\./', '')) },
  {
    files: ['services/cli/*/*.ts'],
    rules: restrict(deepLib('\\.\\./\\.\\./\\.\\./'), otherService('\\.\\./\\.\\./', '|stages$|runnable$')),
  },
  {
    files: ['test/**/*.ts'],
    rules: restrict(deepLib('\\.\\./'), {
      regex: 'services/cli',
      message: 'tests never import the CLI: use the lib it calls',
    }),
  },
  {
    files: ['services/console/web/**/*.ts'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        fetch: 'readonly',
        URL: 'readonly',
        CSS: 'readonly',
        confirm: 'readonly',
        ResizeObserver: 'readonly',
        TextDecoderStream: 'readonly',
        AbortController: 'readonly',
        FormData: 'readonly',
        HTMLElement: 'readonly',
      },
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', 'bin/*'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
