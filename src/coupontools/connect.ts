// The API a verb talks to: the live one, or the embedded sandbox speaking the configured wire profile.
import { type Config, usesSandbox, wireProfileOf } from '../config.js';
import { CoupontoolsClient, type ClientOptions } from './client.js';
import { packageInfo } from '../package-info.js';
import type { Sandbox } from '../sandbox/sandbox.js';

/**
 * The API every verb talks to: the live one, or (without credentials, or with --sandbox) the
 * embedded sandbox, started here and speaking the configured wire profile so every setting works in it.
 */
export async function connectApi(
  config: Config,
  clientOverrides: Partial<Pick<ClientOptions, 'retryBaseMs' | 'maxRetryWaitMs' | 'random' | 'onFailure' | 'maxRetries' | 'armDeadline'>> = {},
  historyLimit?: number,
): Promise<{ client: CoupontoolsClient; sandbox: Sandbox | undefined }> {
  const profile = wireProfileOf(config);
  // Loaded only when used: a live server never has the simulator in memory.
  const sandbox = usesSandbox(config)
    ? await (await import('../sandbox/sandbox.js')).startSandbox({
        ...(historyLimit !== undefined ? { historyLimit } : {}),
        ...(config.sandboxState ? { statePath: config.sandboxState } : {}),
        dialect: {
          listEncoding: profile.listEncoding,
          pageSizeKey: profile.pageSizeKey,
          bulkKey: profile.bulkBody === 'wrapped' ? profile.bulkKey : null,
          fieldNames: Object.fromEntries(Object.entries(profile.fieldAliases).map(([theirs, ours]) => [ours, theirs])),
        },
      })
    : undefined;
  const client = new CoupontoolsClient({
    baseUrl: sandbox ? sandbox.url : config.baseUrl,
    apiKey: sandbox ? sandbox.apiKey : (config.apiKey as string),
    apiSecret: sandbox ? sandbox.apiSecret : (config.apiSecret as string),
    userAgent: `${packageInfo.name}/${packageInfo.version} (node ${process.versions.node})`,
    timeoutMs: config.timeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    maxInFlight: config.maxInFlight,
    maxRetries: config.maxRetries,
    ...clientOverrides,
  });
  return { client, sandbox };
}

