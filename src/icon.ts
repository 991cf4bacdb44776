// The server's icon: one small SVG (a loyalty card with stamps), shown by clients that display server icons.

/** 64×64: a coffee-brown tile, a cream card, three stamps filled of five. Kept tiny on purpose. */
export const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#6b3e26"/>' +
  '<rect x="8" y="18" width="48" height="28" rx="5" fill="#fdf3e1"/>' +
  '<g fill="#6b3e26"><circle cx="16" cy="32" r="4"/><circle cx="24" cy="32" r="4"/><circle cx="32" cy="32" r="4"/></g>' +
  '<g fill="none" stroke="#6b3e26" stroke-width="1.5"><circle cx="40" cy="32" r="3.3"/><circle cx="48" cy="32" r="3.3"/></g></svg>';

/** As an MCP `Icon`: an inline data URI, so no client has to fetch anything. */
export const SERVER_ICON = {
  src: `data:image/svg+xml;base64,${Buffer.from(ICON_SVG).toString('base64')}`,
  mimeType: 'image/svg+xml',
  sizes: ['any'],
};
