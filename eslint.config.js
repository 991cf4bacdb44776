// Lint: typescript-eslint's recommended rules, plus a ban on writing to stdout from the server's code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts', 'tools/**/*.ts'],
    // --help/--version (transports/stdio.ts), the demo's transcript (cli/demo.ts), doctor's report, the import verb and setup's report are for a terminal, not the protocol.
    ignores: ['src/transports/stdio.ts', 'src/cli/demo.ts', 'src/cli/doctor.ts', 'src/cli/import.ts', 'src/cli/setup.ts'],
    rules: {
      // stdout carries JSON-RPC: logs go to stderr.
      'no-console': 'error',
      'no-restricted-properties': ['error', { object: 'process', property: 'stdout', message: 'stdout is the MCP protocol channel' }],
    },
  },
);
