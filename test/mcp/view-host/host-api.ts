// What the browser test's host page offers the test (and the test offers it): shared by test/mcp/view-host/host-page.ts and test/mcp/views.test.ts.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export interface ShowRequest {
  /** The view's document, as resources/read gave it. */
  html: string;
  /** The resource's _meta.ui.csp: the host builds the frame's policy from it. */
  csp: { connectDomains?: string[]; resourceDomains?: string[]; frameDomains?: string[]; baseUriDomains?: string[] };
  toolName: string;
  args: Record<string, unknown>;
  result: CallToolResult;
  theme: 'light' | 'dark';
  width: number;
}

/** The host page's globals. */
export interface HostApi {
  /** Bound by the test (page.exposeFunction): runs tools/call on the real server and relays its progress. */
  hostCallTool(name: string, args: Record<string, unknown>, progressId: number): Promise<CallToolResult>;
  /** Called by the test with each progress notification of a relayed call. */
  hostProgress(progressId: number, progress: number, total: number): void;
  showView(request: ShowRequest): Promise<void>;
  /** Every tools/call the view made through the bridge, in order. */
  viewCalls: Array<{ name: string; args: Record<string, unknown> }>;
}
