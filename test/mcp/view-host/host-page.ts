// A small MCP Apps host for the browser test: shows a view in a sandboxed iframe through the extension's own AppBridge and relays its tool calls to the test's MCP client.
import { AppBridge, PostMessageTransport, type McpUiHostContext } from '@modelcontextprotocol/ext-apps/app-bridge';
import type { HostApi, ShowRequest } from './host-api.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Window extends HostApi {}
}

/** What a host with no network for the view enforces: inline code and styles only, nothing fetched. */
function policy(csp: ShowRequest['csp']): string {
  const list = (domains: string[] | undefined, none: string): string => (domains && domains.length > 0 ? domains.join(' ') : none);
  const resources = list(csp.resourceDomains, '');
  return [
    "default-src 'none'",
    `script-src 'unsafe-inline' ${resources}`.trim(),
    `style-src 'unsafe-inline' ${resources}`.trim(),
    `img-src data: ${resources}`.trim(),
    `font-src ${list(csp.resourceDomains, "'none'")}`,
    `connect-src ${list(csp.connectDomains, "'none'")}`,
    `frame-src ${list(csp.frameDomains, "'none'")}`,
    `base-uri ${list(csp.baseUriDomains, "'none'")}`,
  ].join('; ');
}

const HOST_STYLES: Record<'light' | 'dark', Record<string, string>> = {
  light: { '--color-background-primary': '#ffffff', '--color-text-primary': '#1f1f1f', '--font-sans': 'system-ui, sans-serif' },
  dark: { '--color-background-primary': '#1e1e1e', '--color-text-primary': '#f0f0f0', '--font-sans': 'system-ui, sans-serif' },
};

const progressHandlers = new Map<number, (progress: number, total: number) => void>();
let nextProgressId = 1;
window.hostProgress = (id, progress, total) => progressHandlers.get(id)?.(progress, total);
window.viewCalls = [];

window.showView = async (request) => {
  document.body.replaceChildren();
  document.body.style.background = request.theme === 'dark' ? '#1e1e1e' : '#ffffff';
  const iframe = document.createElement('iframe');
  // An opaque origin, as real hosts give views: the view cannot reach the host page or its storage.
  iframe.setAttribute('sandbox', 'allow-scripts');
  iframe.style.cssText = `border:0;width:${request.width}px;height:200px;display:block`;
  document.body.append(iframe);
  const view = iframe.contentWindow as Window;
  const hostContext: McpUiHostContext = {
    theme: request.theme,
    styles: { variables: HOST_STYLES[request.theme] as McpUiHostContext['styles'] extends { variables?: infer V } ? V : never },
    displayMode: 'inline',
    containerDimensions: { maxHeight: 2000, width: request.width },
    platform: 'web',
  };
  const bridge = new AppBridge(null, { name: 'coupontools-test-host', version: '1.0.0' }, { serverTools: {}, logging: {} }, { hostContext });
  bridge.oncalltool = async (params) => {
    const args = (params.arguments ?? {}) as Record<string, unknown>;
    window.viewCalls.push({ name: params.name, args });
    const token = params._meta?.progressToken;
    const id = nextProgressId++;
    // The server's progress goes on to the view, under the token the view's request carried.
    // (The bridge's typed notifications leave out the protocol's own notifications/progress.)
    const notify = bridge.notification.bind(bridge) as (n: { method: string; params: Record<string, unknown> }) => Promise<void>;
    if (token !== undefined) progressHandlers.set(id, (progress, total) => void notify({ method: 'notifications/progress', params: { progressToken: token, progress, total } }));
    try {
      return await window.hostCallTool(params.name, args, id);
    } finally {
      progressHandlers.delete(id);
    }
  };
  bridge.onsizechange = ({ height }) => {
    if (height !== undefined) iframe.style.height = `${height}px`;
  };
  const initialized = new Promise<void>((resolve) => (bridge.oninitialized = () => resolve()));
  await bridge.connect(new PostMessageTransport(view, view));
  const meta = `<meta http-equiv="Content-Security-Policy" content="${policy(request.csp)}">`;
  iframe.srcdoc = request.html.replace(/<head>/i, `<head>${meta}`);
  await initialized;
  await bridge.sendToolInput({ arguments: request.args });
  await bridge.sendToolResult(request.result);
};
