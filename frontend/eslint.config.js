// ESLint for the frontend: typescript-eslint's recommended rules plus React's rules of hooks.
// `npm run lint` runs it together with `tsc --noEmit`; both fail the build (make test-frontend).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";

export default tseslint.config(
  { ignores: ["node_modules/**", "../tb_suite/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["src/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: {
      // The two classic rules of hooks; the React Compiler rules of v7's preset are not enabled (no compiler here).
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Build scripts run in Node.
    files: ["*.{js,mjs}"],
    languageOptions: { globals: { process: "readonly", console: "readonly", performance: "readonly" } },
  },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
);
