// The package's own name and version, read from package.json at run time (works from src/ and dist/src/).
import { readFileSync } from 'node:fs';

interface PackageInfo {
  name: string;
  version: string;
}

function findPackageJson(): PackageInfo {
  let dir = new URL('.', import.meta.url);
  for (let depth = 0; depth < 4; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as Partial<PackageInfo>;
      if (pkg.name === 'coupontools-mcp' && typeof pkg.version === 'string') return { name: pkg.name, version: pkg.version };
    } catch {
      // not here: keep walking up
    }
    dir = new URL('..', dir);
  }
  return { name: 'coupontools-mcp', version: '0.0.0' };
}

export const packageInfo: PackageInfo = findPackageJson();
