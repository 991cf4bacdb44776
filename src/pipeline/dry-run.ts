// Dry run: a write stops at the request layer and the call answers with the request it would have sent.
import type { ApiRequest } from '../coupontools/client.js';
import type { RequestLayer, Shaper, Step } from './stage-types.js';

/** Thrown by the call's request layer at the first write; carries what would have been sent. */
export class DryRunStop {
  constructor(readonly request: ApiRequest) {}
}

/** Runs the rest of the call; a write it tried becomes the dry-run answer. */
export async function withDryRun(layer: RequestLayer, shape: Shaper, next: () => Promise<Step>): Promise<Step> {
  try {
    return await next();
  } catch (err) {
    if (!(err instanceof DryRunStop)) throw err;
    const url = new URL(layer.url(err.request));
    const request = { method: err.request.method, path: url.pathname, query: Object.fromEntries(url.searchParams), body: err.request.body ?? null };
    return { result: shape.success({ status: 'dry_run', request }), outcome: 'dry_run' };
  }
}
