// ESLint flat config: typescript-eslint recommended rules for all TypeScript sources.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.mesh/**', 'coverage/**', '**/*.cjs', '**/*.mjs', '**/assembly/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // The build emits CommonJS, where a module's own exported bindings are read through
      // `exports`: a local of that name breaks them in dist while tests (run from sources) pass
      // (it once broke plugin uploads).
      'no-restricted-syntax': [
        'error',
        {
          selector: ':matches(VariableDeclarator, FunctionDeclaration, ClassDeclaration) > Identifier.id[name="exports"]',
          message: 'do not name a local `exports`: the CommonJS build reads exported bindings through it',
        },
      ],
    },
  },
);
