// Builds every src/plugins/<family>/index.tsx into ../tb_suite/_frontend/<family>/index.js.
// Each family is served from its own plugin URL prefix, so each bundle is self-contained:
// one library build per entry, no shared chunks, CSS imported as strings (`?inline`).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "vite";
import react from "@vitejs/plugin-react";

const root = import.meta.dirname;
const pluginsDir = resolve(root, "src/plugins");
const outRoot = resolve(root, "../tb_suite/_frontend");

function pluginEntries() {
  return readdirSync(pluginsDir)
    .sort()
    .map((family) => [family, join(pluginsDir, family, "index.tsx")])
    .filter(([, entry]) => existsSync(entry));
}

function libraryConfig(family, entry) {
  return {
    configFile: false,
    root,
    plugins: [react()],
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "warn",
    build: {
      outDir: join(outRoot, family),
      emptyOutDir: true,
      minify: true,
      target: "es2022",
      reportCompressedSize: false,
      lib: { entry, formats: ["es"], fileName: () => "index.js" },
      // Library ES builds keep whitespace by default; this bundle is served, not re-bundled.
      rolldownOptions: { output: { minify: true } },
    },
  };
}

const only = process.argv.slice(2);
for (const [family, entry] of pluginEntries()) {
  if (only.length && !only.includes(family)) continue;
  const t0 = performance.now();
  await build(libraryConfig(family, entry));
  const dir = join(outRoot, family);
  const files = readdirSync(dir);
  if (files.length !== 1 || files[0] !== "index.js") {
    throw new Error(`${family}: expected only index.js, got ${files.join(", ")}`);
  }
  const js = readFileSync(join(dir, "index.js"));
  const kb = (n) => (n / 1024).toFixed(1);
  const secs = ((performance.now() - t0) / 1000).toFixed(2);
  console.log(`${family}: ${kb(js.length)} kB, ${kb(gzipSync(js).length)} kB gz, ${secs} s`);
}
