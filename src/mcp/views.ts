// The MCP Apps views: a ui:// resource per view and each viewed tool's _meta.ui, offered only to a client that declares the Apps extension.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EXTENSION_ID, getUiCapability, McpUiAppResourceConfig, RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY } from '@modelcontextprotocol/ext-apps/server';
import type { McpServer, RegisteredResource } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { packageInfo } from '../package-info.js';
import type { ToolDefinition } from './tool.js';

/*
 * The extension's own names, typed by its declarations: a type-only import keeps the extension's
 * runtime (its App class and schemas, ~20 ms to load) off the stdio start path, and the compiler
 * refuses any spelling that differs from the extension's.
 */
export const VIEW_MIME_TYPE: typeof RESOURCE_MIME_TYPE = 'text/html;profile=mcp-app';
const APPS_EXTENSION: typeof EXTENSION_ID = 'io.modelcontextprotocol/ui';
const LEGACY_URI_KEY: typeof RESOURCE_URI_META_KEY = 'ui/resourceUri';
type ViewMeta = NonNullable<NonNullable<McpUiAppResourceConfig['_meta']>['ui']>;
type UiCapability = ReturnType<typeof getUiCapability>;

export interface ViewSpec {
  /** The file dist/src/views/<name>.html (src/views/<name>.ts, built by src/build/views.mjs). */
  name: string;
  title: string;
  description: string;
  /** The tools whose results it shows. */
  tools: readonly string[];
}

export const VIEWS: readonly ViewSpec[] = [
  { name: 'holder-card', title: 'Holder card', description: "A card holder's stamp card: balance, rewards, voided state; add a stamp or redeem.", tools: ['get_user', 'add_stamps', 'use_rewards', 'create_user'] },
  { name: 'holders-list', title: 'Card holders', description: 'Holders of a card as a table with its filter and paging; a row opens the holder card.', tools: ['list_users'] },
  { name: 'card-list', title: 'Loyalty cards', description: 'The loyalty cards with their type and reward thresholds.', tools: ['list_loyalty_cards'] },
  { name: 'import-report', title: 'Customer import', description: "An import's plan and result: rows to create, skip and invalid, first problems, progress.", tools: ['import_users'] },
];

export const viewUri = (name: string): string => `ui://coupontools/${name}.html`;

/** No network for any view: every domain list empty (the host's strictest policy). */
const VIEW_META: ViewMeta = { csp: { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] }, prefersBorder: false };

/** Where the built views are: beside the installed entry point (any chunk of the bundle finds it the same way). */
const VIEWS_DIR = join(dirname(packageInfo.bin), 'views');
const OFFERED_MARK = '<!--coupontools:offered-tools-->';

const built = new Map<string, Promise<string>>();

/**
 * A view's document, read from dist only when a host asks for it, with the names of the tools this
 * server offers: the view shows no button for a tool the model could not call either.
 */
async function viewDocument(name: string, offered: readonly string[]): Promise<string> {
  let text = built.get(name);
  if (!text) {
    text = readFile(join(VIEWS_DIR, `${name}.html`), 'utf8');
    built.set(name, text);
    text.catch(() => built.delete(name));
  }
  const names = JSON.stringify(offered.filter((n) => /^[a-z_]+$/.test(n)));
  return (await text).replace(OFFERED_MARK, `<script type="application/json" id="offered-tools">${names}</script>`);
}

/** Whether the client renders MCP Apps views: it declares the extension with our view's MIME type. */
export function rendersViews(capabilities: ClientCapabilities | undefined): boolean {
  const ui = capabilities?.extensions?.[APPS_EXTENSION] as UiCapability;
  return Array.isArray(ui?.mimeTypes) && ui.mimeTypes.includes(VIEW_MIME_TYPE);
}

export interface Views {
  /** tools/list for this server's client: each viewed tool gets its view's URI in _meta when the client renders views. */
  withViews<T extends { name: string; _meta?: Record<string, unknown> }>(tools: T[]): T[];
}

/**
 * Registers the views of the offered tools, disabled: a client without the extension lists the same
 * resources as before. Once the client has initialized and declared the extension, they are enabled.
 */
export function registerViews(server: McpServer, offered: readonly ToolDefinition[]): Views {
  const names = offered.map((t) => t.name);
  const shown = VIEWS.filter((v) => v.tools.some((t) => names.includes(t)));
  const resources: RegisteredResource[] = shown.map((view) =>
    server.registerResource(
      `view-${view.name}`,
      viewUri(view.name),
      { title: view.title, description: view.description, mimeType: VIEW_MIME_TYPE, _meta: { ui: VIEW_META } },
      async (uri) => ({ contents: [{ uri: uri.href, mimeType: VIEW_MIME_TYPE, text: await viewDocument(view.name, names), _meta: { ui: VIEW_META } }] }),
    ),
  );
  for (const resource of resources) resource.disable();
  const apps = (): boolean => rendersViews(server.server.getClientCapabilities());
  const before = server.server.oninitialized;
  server.server.oninitialized = () => {
    before?.();
    if (apps()) for (const resource of resources) resource.enable();
  };
  return {
    withViews(tools) {
      if (!apps()) return tools;
      return tools.map((tool) => {
        const view = shown.find((v) => v.tools.includes(tool.name));
        if (!view) return tool;
        const uri = viewUri(view.name);
        // Both spellings hosts read: the current `ui.resourceUri` and the older flat key.
        return { ...tool, _meta: { ...tool._meta, ui: { resourceUri: uri }, [LEGACY_URI_KEY]: uri } };
      });
    },
  };
}
