// The package's own name, version and entry point, read from package.json at run time (from src/, or from any chunk of the bundle).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface PackageInfo {
  name: string;
  version: string;
  /** Absolute path of the installed command (package.json's bin), what a client config launches. */
  bin: string;
}

function findPackageJson(): PackageInfo {
  let dir = new URL('.', import.meta.url);
  for (let depth = 0; depth < 4; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: unknown; version?: unknown; bin?: Record<string, string> };
      if (pkg.name === 'coupontools-mcp' && typeof pkg.version === 'string') {
        return { name: pkg.name, version: pkg.version, bin: fileURLToPath(new URL(pkg.bin?.['coupontools-mcp'] ?? 'dist/src/index.js', dir)) };
      }
    } catch {
      // not here: keep walking up
    }
    dir = new URL('..', dir);
  }
  return { name: 'coupontools-mcp', version: '0.0.0', bin: fileURLToPath(new URL('index.js', import.meta.url)) };
}

export const packageInfo: PackageInfo = findPackageJson();
