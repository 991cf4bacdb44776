// The server's icon (a loyalty card with stamps) as shapes: one inline SVG for MCP clients, rasterized to PNG for the .mcpb bundle.

export const ICON_BROWN = '#6b3e26';
export const ICON_CREAM = '#fdf3e1';

const EMPTY_STROKE = 1.5;

/** On a 64×64 grid: a brown tile, a cream card, three stamps filled and two still empty. */
export const ICON_SHAPES = {
  tile: { x: 0, y: 0, w: 64, h: 64, r: 14, fill: ICON_BROWN },
  card: { x: 8, y: 18, w: 48, h: 28, r: 5, fill: ICON_CREAM },
  stamped: [16, 24, 32].map((cx) => ({ cx, cy: 32, r: 3.4 })),
  empty: [40, 48].map((cx) => ({ cx, cy: 32, r: 2.9, stroke: EMPTY_STROKE })),
} as const;

const s = ICON_SHAPES;
export const ICON_SVG =
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">` +
  [s.tile, s.card].map((b) => `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="${b.r}" fill="${b.fill}"/>`).join('') +
  `<g fill="${ICON_BROWN}">${s.stamped.map((c) => `<circle cx="${c.cx}" cy="${c.cy}" r="${c.r}"/>`).join('')}</g>` +
  `<g fill="none" stroke="${ICON_BROWN}" stroke-width="${EMPTY_STROKE}">${s.empty.map((c) => `<circle cx="${c.cx}" cy="${c.cy}" r="${c.r}"/>`).join('')}</g></svg>`;

/** As an MCP `Icon`: an inline data URI, so no client has to fetch anything. */
export const SERVER_ICON = {
  src: `data:image/svg+xml;base64,${Buffer.from(ICON_SVG).toString('base64')}`,
  mimeType: 'image/svg+xml',
  sizes: ['any'],
};
